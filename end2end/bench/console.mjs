// The console at size in headless Chromium (started by tests/benches/console.rs, which seeds the
// store and answers `@@harness` requests): the batch page of 5,000 rows (1,000 syncing) — time
// to interactive and bytes of its first load, the delay from a database change to the screen,
// and (measured by the Rust side) the server's CPU with 10 such pages open while the rows move;
// the dashboard of 20 × 5,000 rows; the error report. Prints `figure: …` lines.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { hydrated, signIn } from '../lib.mjs';

const env = {
  baseUrl: process.env.MAILFERRY_URL,
  adminUser: process.env.MAILFERRY_ADMIN_USER ?? 'admin',
  adminPassword: process.env.MAILFERRY_ADMIN_PASSWORD,
};
const batch = process.env.MAILFERRY_BATCH;
const rounds = Number(process.env.MF_CONSOLE_ROUNDS ?? 3);
const cpuSeconds = Number(process.env.MF_CONSOLE_CPU_SECS ?? 60);

const answers = [];
let waiting = null;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (waiting) { const w = waiting; waiting = null; w(line); } else answers.push(line);
});
function harness(request) {
  console.log(`@@harness ${request}`);
  if (answers.length) return Promise.resolve(answers.shift());
  return new Promise((resolve) => { waiting = resolve; });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext();
const first = await context.newPage();
await signIn(first, env);

// A cold load in a fresh page of the signed-in context (the static files cached after the
// first round, as for an admin who opens the console every day): until hydrated (interactive)
// and until its live channel is open; bytes split into the page's data and static files.
async function load(path, ready) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  let data = 0;
  let statics = 0;
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId) ?? '';
    if (/\/pkg\/|\.css$|favicon/.test(url)) statics += e.encodedDataLength;
    else data += e.encodedDataLength;
  });
  const started = performance.now();
  await page.goto(`${env.baseUrl}${path}`);
  await page.waitForSelector(hydrated, { timeout: 120_000 });
  const interactive = performance.now() - started;
  if (ready) await page.waitForSelector(ready, { timeout: 120_000 });
  const live = performance.now() - started;
  // The request itself: from sending it to the last byte of the server-rendered page.
  const answered = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return n.responseEnd - n.requestStart;
  });
  await page.close();
  return { interactive, live, answered, data, statics };
}

async function figure(name, path, ready) {
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await load(path, ready));
  const warm = runs.slice(1).length ? runs.slice(1) : runs;
  console.log(`figure: ${name}: page answered in ${median(warm.map((r) => r.answered)).toFixed(0)} ms`
    + `, interactive ${median(warm.map((r) => r.interactive)).toFixed(0)} ms`
    + (ready ? `, live ${median(warm.map((r) => r.live)).toFixed(0)} ms` : '')
    + `, data ${kb(median(warm.map((r) => r.data)))} (HTML and server functions)`
    + `, static files ${kb(runs[0].statics)} on the first visit, ${kb(median(warm.map((r) => r.statics)))} after`
    + ` (median of ${warm.length} warm loads)`);
}

const live = '[data-testid=live-status][data-status=live]';
await figure('batch page, 5,000 rows with 1,000 syncing', `/batches/${batch}`, live);
await figure('dashboard, 20 batches × 5,000 rows', '/', '[data-testid=batch-table]');
await figure('error report, first page', '/errors', '[data-testid=error-total]');
await figure('error report of one batch, first page', `/errors?batch=${process.env.MAILFERRY_ERROR_BATCH}`,
  '[data-testid=error-total]');

// From a database change to the screen: a syncing row on the open page fails.
const page = await context.newPage();
await page.goto(`${env.baseUrl}/batches/${batch}`);
await page.waitForSelector(live, { timeout: 120_000 });
const delays = [];
for (let i = 0; i < 5; i++) {
  const email = await page.$eval('[data-testid=mailbox-row][data-state=Syncing]', (r) => r.dataset.email);
  const started = performance.now();
  await harness(`fail ${email}`);
  await page.waitForSelector(`[data-testid=mailbox-row][data-email="${email}"][data-state=Failed]`, { timeout: 60_000 });
  delays.push(performance.now() - started);
}
console.log(`figure: a change on screen: median ${median(delays).toFixed(0)} ms, worst ${Math.max(...delays).toFixed(0)} ms (${delays.length} changes)`);

// Ten open batch pages while 1,000 rows move every second: the Rust side reads the server's CPU.
const pages = [page];
for (let i = 1; i < 10; i++) {
  const p = await context.newPage();
  await p.goto(`${env.baseUrl}/batches/${batch}`);
  await p.waitForSelector(live, { timeout: 120_000 });
  pages.push(p);
}
await harness('churn-start');
await new Promise((resolve) => setTimeout(resolve, cpuSeconds * 1000));
await harness('churn-stop');
const stillLive = await Promise.all(pages.map((p) => p.$(live)));
console.log(`figure: pages still live after the minute: ${stillLive.filter(Boolean).length} of ${pages.length}`);
await browser.close();
