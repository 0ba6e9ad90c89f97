// Text from mailboxes is text: a folder named like an HTML element and a subject with HTML show
// literally in the error report and never run (no dialog, no injected element).
import assert from 'node:assert/strict';
import { addTestbedEndpoints, signIn, uploadBatch, waitForBatchState } from '../lib.mjs';

export const specs = [
  {
    name: 'an HTML-like folder name and an HTML subject show as text',
    run: async ({ page, env, screenshot }) => {
      const bed = env.testbed;
      const dialogs = [];
      page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
      await signIn(page, env);
      await addTestbedEndpoints(page, env);
      await uploadBatch(page, env, 'Hostile text', bed.csv, { max_message_mb: '1' });
      await page.click('[data-action=start]');
      await waitForBatchState(page, ['SyncedWithErrors', 'Synced']);
      await page.click('[data-testid=batch-error-report]');
      const row = page.locator('[data-testid=error-row][data-kind=message_too_large]');
      await row.waitFor();
      const text = await row.textContent();
      assert.ok(text.includes(`Folder ${bed.folder}`), text);
      const html = await row.innerHTML();
      assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'), html);
      assert.equal(await page.locator('[data-testid=error-row] script, [data-testid=error-row] img').count(), 0);
      await page.waitForTimeout(500);
      assert.deepEqual(dialogs, [], 'no script ran');
      await screenshot('hostile-text');
    },
  },
  {
    name: 'markup slipped into a page cannot run script (Content-Security-Policy)',
    // The refusal is the browser's own report of the policy at work.
    allowedConsoleErrors: [/^Executing inline event handler violates the following Content Security Policy/],
    run: async ({ page, env, consoleErrors }) => {
      await signIn(page, env);
      const violations = await page.evaluate(async () => {
        const seen = [];
        document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
        // As an injection would: markup with an inline handler, parsed by the page.
        document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.injected = 1">');
        const deadline = Date.now() + 10_000;
        while (!seen.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return { seen, ran: window.injected === 1 };
      });
      assert.equal(violations.ran, false, 'the injected handler ran');
      assert.ok(violations.seen.some((d) => d.startsWith('script-src')), JSON.stringify(violations));
      // The app itself works under the policy: hydrated, no other refusal.
      assert.ok(await page.locator('#app[data-hydrated="true"]').count() === 1);
      assert.deepEqual(consoleErrors.filter((t) => !/inline event handler/.test(t)), []);
    },
  },
];

