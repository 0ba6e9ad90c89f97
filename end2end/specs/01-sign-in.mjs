// Foundation: an admin signs in and sees the dashboard after hydration; sign-in and the
// dashboard also work as plain HTML with JavaScript off.
import assert from 'node:assert/strict';

async function signIn(page, env, password = env.adminPassword) {
  await page.goto(`${env.baseUrl}/sign-in`);
  await page.fill('#username', env.adminUser);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

export const specs = [
  {
    name: 'a stranger is sent to the sign-in page',
    run: async ({ page, env, screenshot }) => {
      await page.goto(`${env.baseUrl}/`);
      await page.waitForURL(/\/sign-in/);
      assert.equal(await page.locator('h1').textContent(), 'Sign in to Mailferry');
      await screenshot('sign-in');
    },
  },
  {
    name: 'a wrong password is refused with a clear message',
    // The refused server function call shows in the console as a failed request.
    allowedConsoleErrors: [/Failed to load resource/],
    run: async ({ page, env }) => {
      await page.goto(`${env.baseUrl}/sign-in`);
      await page.waitForSelector('#app[data-hydrated="true"]');
      await page.fill('#username', env.adminUser);
      await page.fill('#password', 'not the password at all');
      await page.click('button[type=submit]');
      const alert = page.locator('[role=alert]');
      await alert.waitFor();
      assert.match(await alert.textContent(), /Wrong user name or password/);
    },
  },
  {
    name: 'an admin signs in and sees the dashboard after hydration',
    run: async ({ page, env, screenshot }) => {
      await page.goto(`${env.baseUrl}/sign-in`);
      await page.waitForSelector('#app[data-hydrated="true"]');
      await signIn(page, env);
      await page.waitForSelector('[data-testid=dashboard]');
      await page.waitForSelector('#app[data-hydrated="true"]');
      assert.equal(await page.locator('[data-testid=admin-name]').textContent(), env.adminUser);
      assert.ok(await page.locator('[data-testid=no-batches], [data-testid=batch-table]').count() > 0);
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'mf_session');
      assert.ok(session, 'session cookie set');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Strict');
      await screenshot('dashboard');
      await page.click('text=Sign out');
      await page.waitForURL(/\/sign-in/);
    },
  },
  {
    name: 'a stranger is redirected by the server itself',
    javascript: false,
    run: async ({ page, env }) => {
      const response = await page.goto(`${env.baseUrl}/`);
      await page.waitForURL(/\/sign-in/);
      assert.ok(response.request().redirectedFrom(), 'an HTTP redirect, not a script');
      assert.equal(await page.locator('h1').textContent(), 'Sign in to Mailferry');
    },
  },
  {
    name: 'sign-in and the dashboard work as plain HTML',
    javascript: false,
    run: async ({ page, env, screenshot }) => {
      await signIn(page, env);
      await page.waitForSelector('[data-testid=dashboard]');
      assert.equal(await page.locator('[data-testid=admin-name]').textContent(), env.adminUser);
      await screenshot('dashboard-no-js');
    },
  },
  {
    name: 'a wrong password without JavaScript shows the error too',
    javascript: false,
    run: async ({ page, env }) => {
      await signIn(page, env, 'wrong wrong wrong');
      await page.waitForURL(/\/sign-in\?error=/);
      assert.match(await page.locator('[role=alert]').textContent(), /Wrong user name or password/);
    },
  },
];
