// Without JavaScript: sign-in, the batch list and the error report's filters work as plain HTML
// (run after 03-migration, whose batches and errors they show).
import assert from 'node:assert/strict';

export const specs = [
  {
    name: 'the batch list and the error report filters work as plain HTML',
    javascript: false,
    run: async ({ page, env, screenshot }) => {
      const bed = env.testbed;
      await page.goto(`${env.baseUrl}/sign-in`);
      await page.fill('#username', env.adminUser);
      await page.fill('#password', env.adminPassword);
      await page.click('button[type=submit]');
      await page.waitForSelector('[data-testid=batch-table]');
      assert.equal(await page.locator('[data-testid=batch-row]').count(), 2);

      await page.goto(`${env.baseUrl}/errors`);
      await page.waitForSelector('[data-testid=kind-chips]');
      assert.equal(await page.locator('[data-testid=error-row]').count(), 2);
      const chip = page.locator('[data-testid=kind-chip][data-kind=destination_mailbox_not_found]');
      assert.match(await chip.textContent(), /1/);
      await chip.click();
      await page.waitForURL(/kind=destination_mailbox_not_found/);
      assert.equal(await page.locator('[data-testid=error-row]').count(), 1);
      assert.equal(await page.locator('[data-testid=error-row]').getAttribute('data-email'), bed.notOnDestination);

      // The GET form: a mailbox search (the kind filter is cleared by the "All kinds" chip first).
      await page.click('text=All kinds');
      await page.fill('#f-q', bed.wrongPassword.split('@')[0]);
      await page.click('[data-testid=apply-filters]');
      await page.waitForURL(/q=/);
      assert.equal(await page.locator('[data-testid=error-row]').count(), 1);
      assert.equal(await page.locator('[data-testid=error-row]').getAttribute('data-email'), bed.wrongPassword);
      await screenshot('error-report-no-js');
    },
  },
];
