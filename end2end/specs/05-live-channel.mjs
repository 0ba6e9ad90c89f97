// The live channel: eight tabs watch one batch through the web-only process while a worker in
// another process copies it; the web process is restarted and every tab reconnects by itself;
// signing out everywhere ends every tab's channel.
import assert from 'node:assert/strict';
import { addTestbedEndpoints, mailboxStates, signIn, uploadBatch, waitForBatchState } from '../lib.mjs';

const TABS = 8;

async function liveStatus(page) {
  const el = page.locator('[data-testid=live-status]');
  return { status: await el.getAttribute('data-status'), reconnects: Number(await el.getAttribute('data-reconnects')) };
}

export const specs = [
  {
    name: 'many tabs stay live through a restart of the web process',
    // The restart cuts the open websockets and server calls for a moment.
    allowedConsoleErrors: [/WebSocket|Failed to load resource|ERR_CONNECTION_REFUSED|net::/],
    run: async ({ page, context, env, screenshot }) => {
      const bed = env.testbed;
      await signIn(page, env);
      await addTestbedEndpoints(page, env);
      await uploadBatch(page, env, 'Wave 2', bed.csv);
      const batchUrl = page.url();
      const tabs = [page];
      // Requests that failed, per tab (the restart below fails some on purpose).
      const failed = [[]];
      for (let i = 1; i < TABS; i++) {
        const tab = await context.newPage();
        const mine = [];
        tab.on('requestfailed', (r) => mine.push(`${r.url()}: ${r.failure()?.errorText}`));
        failed.push(mine);
        await tab.goto(batchUrl);
        tabs.push(tab);
      }
      // Eight tabs hydrate a debug build at once on a machine shared with other tests: a deadline
      // of its own (CI once needed more than the default 30 s for the first live status).
      try {
        for (const tab of tabs) {
          await tab.waitForSelector('[data-testid=live-status][data-status=live]', { timeout: 90_000 });
        }
      } catch (error) {
        // Where each tab is, for the next reader of a failure (seen twice under full load).
        const seen = await Promise.all(tabs.map(async (tab, i) => ({
          hydrated: await tab.locator('#app[data-hydrated="true"]').count() === 1,
          ...(await liveStatus(tab)),
          failedRequests: failed[i],
        })));
        throw new Error(`${error.message}\ntabs: ${JSON.stringify(seen)}`);
      }

      assert.equal(await env.harness('restart-web'), 'done');
      for (const tab of tabs) {
        await tab.waitForFunction(() => {
          const el = document.querySelector('[data-testid=live-status]');
          return el.dataset.status === 'live' && Number(el.dataset.reconnects) >= 1;
        }, null, { timeout: 90_000 });
      }
      assert.ok((await liveStatus(tabs[3])).reconnects >= 1);

      // The reconnected tabs follow the batch that the other process copies.
      await page.click('[data-action=start]');
      for (const tab of tabs) {
        await waitForBatchState(tab, ['Synced']);
        const states = await mailboxStates(tab);
        assert.deepEqual(Object.keys(states).sort(), [...bed.users].sort());
        assert.ok(Object.values(states).every((s) => s === 'Synced'), JSON.stringify(states));
      }
      await screenshot('live-after-restart');

      // "Sign out everywhere" in one tab: the server closes every other tab's channel at its
      // next session check, and the tabs say so instead of reconnecting.
      await page.click('[data-testid=sign-out-everywhere]');
      await page.waitForURL(/\/sign-in/);
      for (const tab of tabs.slice(1)) {
        await tab.waitForSelector('[data-testid=live-status][data-status=signed-out]', { timeout: 30_000 });
      }
    },
  },
];
