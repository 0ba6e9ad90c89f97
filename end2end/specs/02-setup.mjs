// First run: no administrator yet. The set-up page creates the first one with the set-up code the
// server printed in its log (a wrong code and weak passwords refused) and closes for good after.
import assert from 'node:assert/strict';

export const specs = [
  {
    name: 'the first administrator is created on the set-up page, which then closes',
    allowedConsoleErrors: [/Failed to load resource/],
    run: async ({ page, env, screenshot }) => {
      await page.goto(`${env.baseUrl}/sign-in`);
      await page.waitForSelector('#app[data-hydrated="true"]');
      await page.click('text=Create the first administrator');
      await page.waitForURL(/\/setup/);
      await page.waitForSelector('#app[data-hydrated="true"]');
      await screenshot('setup');
      const code = env.testbed.setupCode;
      await page.fill('#setup_code', 'AAAA-BBBB-CCCC');
      await page.fill('#username', env.adminUser);
      await page.fill('#password', env.adminPassword);
      await page.click('button[type=submit]');
      const alert = page.locator('[role=alert]');
      await alert.waitFor();
      assert.match(await alert.textContent(), /set-up code/);
      await page.fill('#setup_code', code);
      await page.fill('#password', 'short');
      await page.click('button[type=submit]');
      await page.waitForFunction(() => /at least 12 characters/.test(document.querySelector('[role=alert]')?.textContent ?? ''));
      await page.fill('#password', env.adminPassword);
      await page.click('button[type=submit]');
      await page.waitForSelector('[data-testid=dashboard]');
      assert.equal(await page.locator('[data-testid=admin-name]').textContent(), env.adminUser);

      // A second visitor cannot create another administrator.
      const other = await page.context().browser().newContext();
      const stranger = await other.newPage();
      await stranger.goto(`${env.baseUrl}/setup`);
      await stranger.waitForSelector('#app[data-hydrated="true"]');
      await stranger.fill('#setup_code', code);
      await stranger.fill('#username', 'intruder');
      await stranger.fill('#password', 'another long password');
      await stranger.click('button[type=submit]');
      await stranger.locator('[role=alert]').waitFor();
      assert.match(await stranger.locator('[role=alert]').textContent(), /exists already/);
      await other.close();
    },
  },
];
