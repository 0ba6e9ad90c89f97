// What several specs do: sign in, open a page once it is hydrated, add an endpoint, upload a
// CSV, read the batch page.
export const hydrated = '#app[data-hydrated="true"]';

export async function signIn(page, env) {
  await page.goto(`${env.baseUrl}/sign-in`);
  await page.waitForSelector(hydrated);
  await page.fill('#username', env.adminUser);
  await page.fill('#password', env.adminPassword);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=dashboard]');
}

export async function visit(page, env, path, testid) {
  await page.goto(`${env.baseUrl}${path}`);
  await page.waitForSelector(`[data-testid=${testid}]`);
  await page.waitForSelector(hydrated);
}

export async function addEndpoint(page, fields) {
  const form = page.locator('[data-testid=endpoint-form]');
  await form.locator('#ep-name').fill(fields.name);
  await form.locator(`input[name=role][value=${fields.role}]`).check();
  await form.locator('#ep-host').fill('127.0.0.1');
  await form.locator('#ep-port').fill(String(fields.port));
  await form.locator('#ep-security').selectOption('none');
  await form.locator('#ep-admin').fill(fields.adminUser ?? '');
  await form.locator('#ep-password').fill(fields.adminPassword ?? '');
  // The form keeps what the last endpoint chose.
  await form.locator('#ep-oauth-kind').selectOption(fields.oauth ?? 'none');
  await form.locator('[data-testid=save-endpoint]').click();
  await page.waitForSelector(`[data-testid=endpoint-card][data-name="${fields.name}"]`);
}

// Adds the test bed's source and destination endpoints.
export async function addTestbedEndpoints(page, env) {
  const bed = env.testbed;
  await visit(page, env, '/endpoints', 'endpoints');
  await addEndpoint(page, { name: 'Old server', role: 'source', port: bed.sourcePort });
  await addEndpoint(page, {
    name: 'New server', role: 'destination', port: bed.destinationPort,
    adminUser: bed.adminUser, adminPassword: bed.adminPassword,
  });
}

// Uploads `csv` as a new batch named `name` (options: input name → value); resolves on the new
// batch's page.
export async function uploadBatch(page, env, name, csv, options = {}) {
  await visit(page, env, '/batches/new', 'new-batch');
  await page.fill('#nb-name', name);
  for (const [field, value] of Object.entries(options)) {
    await page.locator('details.options summary').click();
    await page.fill(`[name=${field}]`, value);
  }
  await page.setInputFiles('#nb-csv', { name: 'batch.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('[data-testid=upload-csv]');
  await page.waitForURL(/\/batches\/\d+$/);
  await page.waitForSelector('[data-testid=mailbox-row]');
  await page.waitForSelector(hydrated);
}

export async function mailboxStates(page) {
  return page.$$eval('[data-testid=mailbox-row]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.email, r.dataset.state])));
}

export async function waitForBatchState(page, states, timeout = 120_000) {
  const selector = states.map((s) => `[data-testid=batch-summary] [data-state=${s}]`).join(', ');
  await page.waitForSelector(selector, { timeout });
}
