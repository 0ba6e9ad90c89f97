// A personal account's consent: the admin adds a source whose users each consent (OAuth 2 with
// PKCE), uploads a CSV without passwords, and sends the row's consent link; the user opens it,
// allows access on the provider's page (the test bed's token server) and comes back to
// Mailferry's thank-you page; the row shows the consent and the batch copies the mailbox.
import assert from 'node:assert/strict';
import { addEndpoint, hydrated, mailboxStates, signIn, uploadBatch, visit, waitForBatchState } from '../lib.mjs';

async function addPersonalSource(page, bed) {
  const form = page.locator('[data-testid=endpoint-form]');
  await form.locator('#ep-name').fill('Personal mail');
  await form.locator('input[name=role][value=source]').check();
  await form.locator('#ep-host').fill('127.0.0.1');
  await form.locator('#ep-port').fill(String(bed.sourcePort));
  await form.locator('#ep-security').selectOption('none');
  await form.locator('#ep-oauth-kind').selectOption('personal');
  await form.locator('#ep-oauth-client').fill(bed.clientId);
  await form.locator('#ep-oauth-auth-url').fill(bed.authorizationUrl);
  await form.locator('#ep-oauth-url').fill(bed.tokenUrl);
  await form.locator('#ep-oauth-scope').fill(bed.scope);
  await form.locator('[data-testid=save-endpoint]').click();
  await page.waitForSelector('[data-testid=endpoint-card][data-name="Personal mail"]');
}

export const specs = [
  {
    name: 'a user consents through the link and the mailbox moves without a password',
    run: async ({ page, env, screenshot }) => {
      const bed = env.testbed;
      const user = bed.user;
      await signIn(page, env);
      await visit(page, env, '/endpoints', 'endpoints');
      await addPersonalSource(page, bed);
      assert.match(
        await page.textContent('[data-testid=endpoint-card][data-name="Personal mail"]'),
        /each user's consent/,
      );
      await addEndpoint(page, {
        name: 'New server', role: 'destination', port: bed.destinationPort,
        adminUser: bed.adminUser, adminPassword: bed.adminPassword,
      });
      await screenshot('consent-endpoints');

      // No Password column at all: the source signs its users in by itself.
      await uploadBatch(page, env, 'Personal', `EmailAddress,UserName\n${user},${user}\n`);
      const row = `[data-testid=mailbox-row][data-email="${user}"]`;
      const href = await page.getAttribute(`${row} [data-testid=consent-link]`, 'href');
      assert.match(href, /^\/oauth\/consent\/[0-9a-f]{32}$/);
      await screenshot('consent-link');

      // The user's own browser: the link, the provider's page, back to Mailferry.
      const userPage = await page.context().newPage();
      await userPage.goto(`${env.baseUrl}${href}`);
      assert.ok(userPage.url().startsWith(bed.authorizationUrl), userPage.url());
      assert.equal(await userPage.inputValue('input[name=user]'), user, 'the login hint');
      await userPage.click('button[value=allow]');
      await userPage.waitForSelector('[data-testid=consent-title]');
      assert.equal(await userPage.textContent('[data-testid=consent-title]'), 'Thank you');
      assert.match(await userPage.textContent('[data-testid=consent-text]'), new RegExp(user));
      await screenshot('consent-thanks', userPage);
      await userPage.close();

      // The admin's page shows the consent, then the batch runs.
      await page.reload();
      await page.waitForSelector(`${row} [data-testid=consent-given]`);
      await page.waitForSelector(hydrated);
      await page.click('[data-action=start]');
      await waitForBatchState(page, ['Synced', 'Failed']);
      const error = await page.locator(`${row} [data-testid=mailbox-error]`).count()
        ? await page.textContent(`${row} [data-testid=mailbox-error]`) : '';
      assert.deepEqual(await mailboxStates(page), { [user]: 'Synced' }, error);
      await screenshot('consent-synced');
    },
  },
];
