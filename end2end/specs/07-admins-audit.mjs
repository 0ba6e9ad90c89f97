// Several administrators: one is invited, opens the link in their own browser, sets a password
// and is signed in under their name; the link works once. The audit page shows who did what,
// filtered by the address (and by its form).
import assert from 'node:assert/strict';
import { hydrated, signIn, visit } from '../lib.mjs';

const CAROL_PASSWORD = 'carols long password 1';

export const specs = [
  {
    name: 'an invited administrator joins, and the audit page shows who did what',
    run: async ({ page, context, env, screenshot }) => {
      await signIn(page, env);
      await visit(page, env, '/admins', 'admins');
      await page.fill('#new-name', 'carol');
      await page.check('[data-testid=invite-instead]');
      await page.click('[data-testid=add-admin]');
      const link = page.locator('[data-testid=invite-link]');
      await link.waitFor();
      const path = await link.getAttribute('href');
      assert.match(path, /^\/invite\/[0-9a-f]{64}$/);
      await page.locator('[data-testid=invite-row]', { hasText: 'carol' }).waitFor();
      await screenshot('admins-invited');

      // Carol, in her own browser.
      const hers = await context.browser().newContext();
      try {
        const carol = await hers.newPage();
        await carol.goto(`${env.baseUrl}${path}`);
        await carol.waitForSelector(hydrated);
        assert.equal(await carol.locator('[data-testid=invited-name]').textContent(), 'carol');
        await carol.fill('#password', CAROL_PASSWORD);
        await carol.fill('#again', CAROL_PASSWORD);
        await carol.click('[data-testid=accept-invite]');
        await carol.waitForSelector('[data-testid=dashboard]');
        assert.equal(await carol.locator('[data-testid=admin-name]').textContent(), 'carol');
        await carol.goto(`${env.baseUrl}${path}`);
        await carol.getByText('This invitation link is not valid').waitFor();
      } finally {
        await hers.close();
      }

      await visit(page, env, '/audit?admin=carol', 'audit');
      const rows = page.locator('[data-testid=audit-row]');
      await rows.first().waitFor();
      const admins = await rows.evaluateAll((rs) => [...new Set(rs.map((r) => r.dataset.admin))]);
      assert.deepEqual(admins, ['carol']);
      assert.equal(await page.locator('[data-testid=audit-row][data-action=invite_accepted]').count(), 1);
      assert.ok(!(await page.content()).includes(CAROL_PASSWORD), 'no password on the page');

      await page.selectOption('select[name=admin]', 'admin');
      await page.selectOption('select[name=action]', 'admin_invited');
      await page.click('[data-testid=audit-filter]');
      await page.waitForURL(/action=admin_invited/);
      await page.locator('[data-testid=audit-row][data-action=admin_invited]').waitFor();
      assert.equal(await rows.count(), 1);
      assert.match(await rows.first().textContent(), /carol/);
      await screenshot('audit');
    },
  },
];
