// Verify and Copy missing on the story's first batch (after 03-migration): its mailboxes verify
// whole; two messages deleted on the destination behind Mailferry's back are found missing (the
// badge and MigrationVerification.csv name them); Copy missing brings them back and the mailbox
// verifies whole again, all followed live on the page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { hydrated, signIn, visit } from '../lib.mjs';

const badgeOf = (email) =>
  `[data-testid=mailbox-row][data-email="${email}"] [data-testid=mailbox-verification]`;

async function waitForVerify(page, emails, outcome, timeout = 120_000) {
  await page.waitForFunction(
    ([list, want]) => list.every((email) => {
      const el = document.querySelector(
        `[data-testid=mailbox-row][data-email="${email}"] [data-testid=mailbox-verification]`,
      );
      return el && el.dataset.verify === want;
    }),
    [emails, outcome],
    { timeout },
  );
}

export const specs = [
  {
    name: 'a batch verifies whole, finds what the destination lost, and copies only that back',
    run: async ({ page, env, screenshot }) => {
      const bed = env.testbed;
      const [lost] = bed.good;
      await signIn(page, env);
      await visit(page, env, '/', 'dashboard');
      await page.click('[data-testid=batch-row] a:text-is("Staff")');
      await page.waitForSelector(hydrated);
      await page.waitForSelector('[data-testid=live-status][data-status=live]');
      let reloads = 0;
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) reloads++; });

      await page.click('[data-action=verify]');
      await waitForVerify(page, bed.good, 'Whole');
      assert.match(await page.textContent(badgeOf(lost)), /verified/);
      await screenshot('verified');

      assert.equal(await env.harness('lose-messages'), 'done');
      await page.click('[data-action=verify]');
      await waitForVerify(page, [lost], 'Missing');
      assert.match(await page.textContent(badgeOf(lost)), /2 missing/);
      await waitForVerify(page, bed.good.filter((e) => e !== lost), 'Whole');
      await screenshot('verified-missing');

      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-testid=download-verification]'),
      ]);
      assert.equal(file.suggestedFilename(), 'MigrationVerification.csv');
      const lines = (await readFile(await file.path(), 'utf8')).trim().split(/\r?\n/);
      assert.equal(lines[0].split(',')[0], 'EmailAddress');
      const missing = lines.filter((l) => l.includes(',missing,'));
      assert.equal(missing.length, 2, missing.join('\n'));
      assert.ok(missing.every((l) => l.startsWith(`${lost},INBOX,missing,`)), missing.join('\n'));
      assert.ok(!lines.some((l) => l.includes('user-pw')), 'no password in the report');

      await page.click('[data-action=copy-missing]');
      await waitForVerify(page, [lost], 'Whole');
      assert.equal(reloads, 0, 'the page was never reloaded');
      await screenshot('verified-again');

      // The mailbox page: its folders verified, its passes (the last copied the two back),
      // and the same actions for this mailbox alone.
      await page.click(`[data-testid=mailbox-row][data-email="${lost}"] [data-testid=mailbox-link]`);
      await page.waitForSelector('[data-testid=mailbox-summary]');
      await page.waitForSelector(hydrated);
      assert.equal(await page.textContent('[data-testid=mailbox-name]'), lost);
      const verdict = (folder) =>
        page.locator(`[data-testid=folder-row][data-folder="${folder}"] [data-testid=folder-verdict]`);
      assert.equal(await verdict('INBOX').getAttribute('data-missing'), '0');
      const passes = page.locator('[data-testid=pass-row]');
      assert.ok((await passes.count()) >= 2, 'the first pass and the one of Copy missing');
      assert.equal((await passes.first().locator('td').nth(3).textContent()).trim(), '2');

      assert.equal(await env.harness('lose-one'), 'done');
      await page.click('[data-action=verify]');
      await page.waitForFunction(() => {
        const el = document.querySelector('[data-testid=folder-row][data-folder="INBOX"] [data-testid=folder-verdict]');
        return el && el.dataset.missing === '1';
      }, null, { timeout: 60_000 });
      await screenshot('mailbox-missing');
      await page.click('[data-action=copy-missing]');
      await page.waitForFunction(() => {
        const badge = document.querySelector('[data-testid=mailbox-summary] [data-testid=mailbox-verification]');
        const el = document.querySelector('[data-testid=folder-row][data-folder="INBOX"] [data-testid=folder-verdict]');
        return badge && badge.dataset.verify === 'Whole' && el && el.dataset.missing === '0';
      }, null, { timeout: 120_000 });
      await screenshot('mailbox-page');
    },
  },
];
