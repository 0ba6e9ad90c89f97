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
];
