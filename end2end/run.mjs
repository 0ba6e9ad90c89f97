// Runs the browser specs in Debian's Chromium through playwright-core and prints
// "N passed, N failed" last. Started by tests/tests/end2end.rs, which starts the real server and
// test bed and passes their addresses in the environment.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = {
  baseUrl: required('MAILFERRY_URL'),
  adminUser: process.env.MAILFERRY_ADMIN_USER ?? 'admin',
  adminPassword: required('MAILFERRY_ADMIN_PASSWORD'),
  artifacts: process.env.MAILFERRY_ARTIFACTS ?? path.join(here, 'artifacts'),
  // The Dovecot/SMTP test bed the Rust test started (ports, users, the CSV), if any.
  testbed: JSON.parse(process.env.MAILFERRY_TESTBED || 'null'),
  harness,
};
const only = process.env.MAILFERRY_SPECS?.split(',');
mkdirSync(env.artifacts, { recursive: true });

// Asks the Rust test for a change of the test bed and waits until it is made.
const answers = [];
let waiting = null;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (waiting) { const w = waiting; waiting = null; w(line); } else answers.push(line);
});
async function harness(request) {
  console.log(`@@harness ${request}`);
  if (answers.length) return answers.shift();
  return new Promise((resolve) => { waiting = resolve; });
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (the Rust end2end test sets it)`);
  return value;
}

const specs = [];
for (const file of (await readdir(path.join(here, 'specs'))).sort()) {
  if (!file.endsWith('.mjs')) continue;
  if (only && !only.includes(file.replace(/\.mjs$/, ''))) continue;
  const mod = await import(pathToFileURL(path.join(here, 'specs', file)));
  for (const spec of mod.specs) specs.push({ file, ...spec });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

let passed = 0;
let failed = 0;
for (const spec of specs) {
  const context = await browser.newContext({ javaScriptEnabled: spec.javascript !== false });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  const label = `${spec.file} › ${spec.name}${spec.javascript === false ? ' (JavaScript off)' : ''}`;
  try {
    const screenshot = (name, target = page) => shot(target, name);
    await spec.run({ page, context, env, consoleErrors, screenshot });
    const unexpected = consoleErrors.filter((text) => !(spec.allowedConsoleErrors ?? []).some((re) => re.test(text)));
    if (unexpected.length) throw new Error(`browser console errors: ${unexpected.join(' | ')}`);
    passed++;
    console.log(`ok   ${label}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${label}\n     ${String(error?.stack ?? error).split('\n').join('\n     ')}`);
    if (consoleErrors.length) console.log(`     browser console: ${consoleErrors.join(' | ')}`);
    await shot(page, `FAILED-${spec.file}-${spec.name}`).catch(() => {});
  } finally {
    await context.close();
  }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.stdin.destroy();
process.exit(failed === 0 && passed > 0 ? 0 : 1);

async function shot(page, name) {
  const file = path.join(env.artifacts, `${name.replace(/[^a-z0-9-]+/gi, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
