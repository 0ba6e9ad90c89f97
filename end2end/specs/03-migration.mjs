// The web app end to end: an admin sets up mail and both endpoints, uploads a CSV of 3 good and
// 2 bad rows, checks it, starts the batch and watches it finish without reloading, reads the
// error report, downloads MigrationErrors.csv, and after the test bed is fixed completes the
// failed rows in a new batch.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  addTestbedEndpoints, hydrated, mailboxStates, signIn, uploadBatch, visit, waitForBatchState,
} from '../lib.mjs';

async function testEndpoint(page, name) {
  const card = page.locator(`[data-testid=endpoint-card][data-name="${name}"]`);
  await card.locator('[data-testid=test-endpoint]').click();
  const result = card.locator('[data-testid=test-result]');
  await result.waitFor();
  return result;
}

function csvRows(text) {
  // MigrationErrors.csv: a header and one line per error; no field holds a newline here.
  const lines = text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  return { header: lines[0].split(','), rows: lines.slice(1) };
}

async function download(page, locator) {
  const [file] = await Promise.all([page.waitForEvent('download'), locator.click()]);
  return readFile(await file.path(), 'utf8');
}

export const specs = [
  {
    name: 'an admin migrates a CSV of 3 good and 2 bad rows and retries the failed ones',
    // Refused calls (the broken CSV, the failed endpoint test) show as failed requests.
    allowedConsoleErrors: [/Failed to load resource/],
    run: async ({ page, env, screenshot }) => {
      const bed = env.testbed;
      page.on('dialog', (d) => { throw new Error(`a page opened a dialog: ${d.message()}`); });
      // Every server function answer of the whole story, searched for passwords at the end.
      const answers = [];
      page.on('response', (response) => {
        if (response.url().includes('/api/')) answers.push(response.text().catch(() => ''));
      });
      await signIn(page, env);

      // Mail settings and a test e-mail through the local SMTP receiver.
      await visit(page, env, '/settings', 'settings');
      await page.fill('#smtp-host', '127.0.0.1');
      await page.fill('#smtp-port', String(bed.smtpPort));
      await page.selectOption('#smtp-security', 'none');
      await page.fill('#smtp-from', 'mailferry@example.test');
      await page.fill('#notify', 'admin@example.test');
      await page.click('[data-testid=save-mail-settings]');
      await page.waitForSelector('text=✓ Saved.');
      await page.fill('#test-to', 'admin@example.test');
      await page.click('[data-testid=send-test-email]');
      await page.waitForSelector('text=✓ Sent.');
      await screenshot('settings');

      // Both endpoints, each tested.
      await addTestbedEndpoints(page, env);
      for (const name of ['Old server', 'New server']) {
        const result = await testEndpoint(page, name);
        assert.equal(await result.getAttribute('data-ok'), 'true', await result.textContent());
      }
      await screenshot('endpoints');

      // A broken file is refused with its row and column, and nothing is stored.
      await visit(page, env, '/batches/new', 'new-batch');
      await page.setInputFiles('#nb-csv', {
        name: 'broken.csv', mimeType: 'text/csv',
        buffer: Buffer.from('EmailAddress,UserName,Password\nnot-an-address,u,p\n'),
      });
      await page.click('[data-testid=upload-csv]');
      await page.waitForSelector('[data-testid=csv-problems]');
      const problem = await page.locator('[data-testid=csv-problem]').first().textContent();
      assert.match(problem, /2.*EmailAddress/);
      await screenshot('new-batch-problems');

      // The real file: 3 good rows, a wrong source password, a missing destination mailbox.
      await uploadBatch(page, env, 'Staff', bed.csv);
      const batchUrl = page.url();
      let states = await mailboxStates(page);
      assert.equal(Object.keys(states).length, 5);
      assert.ok(Object.values(states).every((s) => s === 'Queued'), JSON.stringify(states));
      await screenshot('batch-preview');

      // Pre-flight finds both bad rows before anything is copied.
      await page.click('[data-testid=run-preflight]');
      await page.waitForSelector('[data-testid=preflight-summary]', { timeout: 60_000 });
      assert.match(await page.locator('[data-testid=preflight-summary]').textContent(), /5 rows, 2 with problems/);
      await screenshot('batch-preflight');

      // Start, and watch it finish through the live channel: no navigation after the click.
      let navigations = 0;
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
      await page.click('[data-action=start]');
      await page.waitForSelector('[data-testid=live-status][data-status=live]');
      await waitForBatchState(page, ['Syncing', 'SyncedWithErrors']);
      await waitForBatchState(page, ['SyncedWithErrors']);
      assert.equal(navigations, 0, 'the page was never reloaded');
      assert.equal(page.url(), batchUrl);
      states = await mailboxStates(page);
      for (const good of bed.good) assert.equal(states[good], 'Synced', JSON.stringify(states));
      assert.equal(states[bed.wrongPassword], 'Failed');
      assert.equal(states[bed.notOnDestination], 'Failed');
      const kinds = await page.$$eval('[data-testid=mailbox-error]', (els) => els.map((e) => e.dataset.kind).sort());
      assert.deepEqual(kinds, ['destination_mailbox_not_found', 'source_sign_in_failed']);
      await screenshot('batch-done');

      // The error report: both errors with their solutions, a kind filter, the downloads.
      await page.click('[data-testid=batch-error-report]');
      await page.waitForSelector('[data-testid=error-row]');
      assert.equal(await page.locator('[data-testid=error-row]').count(), 2);
      for (const solution of await page.locator('[data-testid=error-row] td.solution').allTextContents()) {
        assert.ok(solution.length > 20, `a suggested solution: ${solution}`);
      }
      const whole = csvRows(await download(page, page.locator('[data-testid=download-filtered]')));
      assert.equal(whole.header[0], 'RowIndex');
      assert.equal(whole.rows.length, 2, whole.rows.join('\n'));
      assert.ok(whole.rows.some((r) => r.includes(bed.wrongPassword)));
      assert.ok(whole.rows.some((r) => r.includes(bed.notOnDestination)));
      assert.ok(!whole.rows.some((r) => r.includes('user-pw')), 'no password in the report');

      await page.click('[data-testid=kind-chip][data-kind=source_sign_in_failed]');
      await page.waitForURL(/kind=source_sign_in_failed/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=error-row]').length === 1);
      const row = page.locator('[data-testid=error-row]');
      assert.equal(await row.getAttribute('data-email'), bed.wrongPassword);
      const filtered = csvRows(await download(page, page.locator('[data-testid=download-filtered]')));
      assert.equal(filtered.rows.length, 1);
      assert.ok(filtered.rows[0].includes(bed.wrongPassword));
      await screenshot('error-report-filtered');

      // Fix the test bed, then a new batch from the failed rows completes them.
      assert.equal(await env.harness('fix-testbed'), 'done');
      await page.goto(batchUrl);
      await page.waitForSelector('[data-action=new-batch-from-failed]');
      await page.waitForSelector(hydrated);
      await page.click('[data-action=new-batch-from-failed]');
      await page.waitForURL((url) => /\/batches\/\d+$/.test(url.pathname) && url.href !== batchUrl);
      await page.waitForSelector('[data-action=start]');
      states = await mailboxStates(page);
      assert.deepEqual(Object.keys(states).sort(), [bed.wrongPassword, bed.notOnDestination].sort());
      await page.click('[data-action=start]');
      await waitForBatchState(page, ['Synced']);
      states = await mailboxStates(page);
      assert.ok(Object.values(states).every((s) => s === 'Synced'), JSON.stringify(states));
      await screenshot('retry-done');

      // Staged: Synced with its last sync shown; Sync now runs a delta, Complete the final one;
      // the page follows through the live channel, never reloaded.
      const lastSynced = page.locator('[data-testid=batch-last-synced]');
      const firstSync = (await lastSynced.textContent()).trim();
      assert.match(firstSync, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.match(await page.locator('[data-testid=batch-next-sync]').textContent(), /UTC/);
      for (const cell of await page.locator('[data-testid=mailbox-last-synced]').allTextContents()) {
        assert.match(cell, /UTC/, 'each mailbox shows when it was last synced');
      }
      let reloads = 0;
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) reloads++; });
      await page.click('[data-action=sync-now]');
      await page.waitForFunction(
        (before) => {
          const el = document.querySelector('[data-testid=batch-last-synced]');
          const badge = document.querySelector('[data-testid=batch-summary] [data-state]');
          return el && el.textContent.trim() !== before && badge && badge.dataset.state === 'Synced';
        },
        firstSync,
        { timeout: 120_000 },
      );
      await page.click('[data-action=complete]');
      await waitForBatchState(page, ['Completed']);
      assert.equal(await page.locator('[data-action=sync-now]').count(), 0, 'no delta after completion');
      assert.equal(await page.locator('[data-testid=batch-next-sync]').textContent(), '—');
      assert.equal(reloads, 0, 'the page was never reloaded');
      await screenshot('batch-completed');

      await visit(page, env, '/', 'dashboard');
      assert.equal(await page.locator('[data-testid=batch-row]').count(), 2);
      const bodies = await Promise.all(answers);
      assert.ok(bodies.length > 20, `server function answers seen: ${bodies.length}`);
      for (const secret of ['user-pw', bed.adminPassword]) {
        assert.ok(!bodies.some((b) => b.includes(secret)), `a server function answered ${secret}`);
      }
      await screenshot('dashboard-batches');
    },
  },
];
