// The batch page at 250 rows: 100 rows a page with a pager, chips per state with their counts,
// a text filter and sort in the address (bookmarkable), live on a filtered page; and the same
// page as plain HTML without JavaScript.
import assert from 'node:assert/strict';
import { hydrated, signIn, uploadBatch } from '../lib.mjs';

const NAME = 'Paged 250';
const pad = (i) => String(i).padStart(3, '0');
const csv = 'EmailAddress,UserName,Password\n'
  + Array.from({ length: 250 }, (_, i) => `row${pad(i)}@example.test,login${pad(i)},pw\n`).join('');

const emails = (page) => page.$$eval('[data-testid=mailbox-row]', (rows) => rows.map((r) => r.dataset.email));

export const specs = [
  {
    name: 'a batch of 250 rows is paged, filtered and counted',
    run: async ({ page, env, screenshot }) => {
      await signIn(page, env);
      await uploadBatch(page, env, NAME, csv);
      const batchUrl = page.url();
      assert.equal((await emails(page)).length, 100);
      assert.match(await page.textContent('[data-testid=row-page]'), /Page 1 of 3 · 250 mailbox/);
      assert.equal(await page.textContent('[data-testid=state-count-all]'), '250');
      assert.match(await page.textContent('[data-testid=state-chip][data-state=Queued]'), /250/);

      await page.click('[data-testid=next-page]');
      await page.waitForURL(/page=1/);
      await page.waitForSelector('[data-testid=mailbox-row][data-email="row100@example.test"]');
      assert.equal((await emails(page))[0], 'row100@example.test');

      // Text (the user name, any case) and sort through the form: in the address.
      await page.fill('#r-q', 'LOGIN24');
      await page.selectOption('#r-sort', 'size');
      await page.click('[data-testid=apply-row-filters]');
      await page.waitForURL(/q=LOGIN24/);
      assert.match(page.url(), /sort=size/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=mailbox-row]').length === 10);
      const found = await emails(page);
      assert.deepEqual([...found].sort(), Array.from({ length: 10 }, (_, i) => `row24${i}@example.test`));
      assert.match(await page.textContent('[data-testid=row-page]'), /Page 1 of 1 · 10 mailbox/);
      // The filtered page is live too.
      await page.waitForSelector('[data-testid=live-status][data-status=live]');
      await screenshot('batch-rows-filtered');

      // A state without rows, by its chip: an empty page, the counts unchanged.
      await page.click('[data-testid=state-chip][data-state=Failed]');
      await page.waitForURL(/state=Failed/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=mailbox-row]').length === 0);
      assert.equal(await page.textContent('[data-testid=state-count-all]'), '250');

      // The address alone brings the filter back (a bookmark).
      await page.goto(`${batchUrl}?q=row00&sort=row`);
      await page.waitForSelector(hydrated);
      assert.equal((await emails(page)).length, 10);

      // Bulk: two rows ticked and removed; then every row of the filter (all pages) at once.
      await page.goto(`${batchUrl}?q=row24&sort=row`);
      await page.waitForSelector(hydrated);
      await page.waitForSelector('[data-testid=live-status][data-status=live]');
      await page.locator('[data-testid=row-select]').nth(0).check();
      await page.locator('[data-testid=row-select]').nth(1).check();
      assert.equal(await page.textContent('[data-testid=bulk-count]'), '2 selected');
      await page.click('[data-bulk=remove]');
      await page.waitForFunction(() => document.querySelector('[data-testid=bulk-result]')?.textContent.startsWith('2 rows'));
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=mailbox-row]').length === 8);
      assert.deepEqual(await emails(page), Array.from({ length: 8 }, (_, i) => `row24${i + 2}@example.test`));
      await page.check('[data-testid=bulk-all-matching]');
      assert.equal(await page.textContent('[data-testid=bulk-count]'), '8 selected');
      await page.click('[data-bulk=remove]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=mailbox-row]').length === 0);
      await page.waitForFunction(() => document.querySelector('[data-testid=state-count-all]')?.textContent === '240');
      await screenshot('batch-rows-bulk');
    },
  },
  {
    name: 'the batch page pages and filters as plain HTML',
    javascript: false,
    run: async ({ page, env }) => {
      await page.goto(`${env.baseUrl}/sign-in`);
      await page.fill('#username', env.adminUser);
      await page.fill('#password', env.adminPassword);
      await page.click('button[type=submit]');
      await page.waitForSelector('[data-testid=batch-table]');
      await page.click(`text=${NAME}`);
      await page.waitForSelector('[data-testid=mailbox-row]');
      assert.equal((await emails(page)).length, 100);
      await page.click('[data-testid=next-page]');
      await page.waitForURL(/page=1/);
      assert.equal((await emails(page))[0], 'row100@example.test');
      await page.fill('#r-q', 'row13');
      await page.click('[data-testid=apply-row-filters]');
      await page.waitForURL(/q=row13/);
      assert.deepEqual(await emails(page), Array.from({ length: 10 }, (_, i) => `row13${i}@example.test`));
    },
  },
];
