import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { listScenarios, startEmulator, totpCode, type Emulator } from '../../emulator/index.ts';
import { expectAccessible, launchChromium, screenshot } from '../support/browser.ts';
import { entraAppInput, partnerCenterAppInput, webAppSecretEnd, type PartnerTenant } from '../support/connect.ts';
import { preferredBackend } from '../support/database.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { newTenant } from '../support/journeys.ts';
import { waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// Step 3 as a partner lives it, in Chromium, against the Microsoft emulator (scenario `ready`):
// the signup link, the terms, both apps, the sign-in at Microsoft with MFA and consent, the
// checklist all green, and the completed connection. Every page of ours passes axe.

describe('browser journey: connect Microsoft (scenario ready)', () => {
  let system: TestSystem;
  let emulator: Emulator;
  let chromium: Chromium;

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    // TEST_WEB_DIST: a build made elsewhere (e.g. while web/ holds someone's unfinished work).
    system = await startTestSystem(preferredBackend(), { webDist: process.env.TEST_WEB_DIST ?? 'web/dist', emulator });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
    await emulator?.close();
  });

  /**
   * Step 1 over HTTP (sign up with the domain of the company's own tenant, set up as `scenario`,
   * verify), then the signup link opened in the page and Start pressed.
   */
  async function startConnect(page: Page, scenario = 'ready') {
    const tenant = newTenant(system, { scenario });
    const request = signupRequest({ company: { entraDomain: tenant.facts.domain } });
    const email = request.primaryContact.email;
    const http = new Browser(system.url!);
    assert.equal((await http.post('/api/signups', request)).status, 202);
    const verification = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 20_000);
    assert.equal((await http.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
    const linkMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 20_000);
    await page.goto(`${system.url}/signup-link#token=${linkToken(linkMail.text, 'signup-link')}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(`${system.url}/connect`);
    return { request, tenant };
  }

  /** The heading of the step on screen, which has focus after each step change. */
  async function stepHeading(page: Page, name: string | RegExp) {
    const heading = page.getByRole('heading', { level: 2, name });
    try {
      await heading.waitFor({ timeout: 20_000 });
    } catch (error) {
      // What the page showed instead, for the person reading the failure.
      await screenshot(page, `connect-failed-waiting-for-${String(name).replace(/\W+/g, '-').toLowerCase()}`).catch(() => {});
      const text = await page.locator('body').innerText().catch(() => '');
      throw new Error(`${(error as Error).message}\nPage ${page.url()} shows:\n${text.slice(0, 2000)}`);
    }
    return heading;
  }

  async function expectFocused(page: Page, name: string | RegExp) {
    await waitFor(`focus on the step heading ${name}`, async () => (await page.evaluate(() => document.activeElement?.id)) === 'step-heading', 10_000);
    const text = await page.locator('#step-heading').innerText();
    assert.match(text, typeof name === 'string' ? new RegExp(name) : name);
  }

  async function acceptTermsInPage(page: Page) {
    await stepHeading(page, 'Terms of Use and Privacy Policy');
    await page.getByLabel('I accept the Terms of Use and the Privacy Policy').check();
    await page.getByRole('button', { name: 'Accept' }).click();
  }

  async function enterEntraApp(page: Page, tenant: PartnerTenant, input = entraAppInput(tenant)) {
    await page.getByLabel('Tenant').fill(input.tenant);
    await page.getByLabel('Web App Client ID').fill(input.clientId);
    await page.getByLabel('Client secret').fill(input.clientSecret);
    await page.getByRole('button', { name: 'Check and continue' }).click();
  }

  async function enterPartnerCenterApp(page: Page, tenant: PartnerTenant, input = partnerCenterAppInput(tenant)) {
    await page.getByLabel('Web App ID').fill(input.webAppId);
    await page.getByLabel('Web App Secret', { exact: true }).fill(input.webAppSecret);
    await page.getByLabel('Native App ID').fill(input.nativeAppId);
    await page.getByRole('button', { name: 'Check and continue' }).click();
  }

  /** Microsoft's pages (the emulator): user name and password, the authenticator code if asked, consent. */
  async function signInAtMicrosoft(page: Page, tenant: PartnerTenant, options: { totp?: () => string; shots?: boolean } = {}) {
    const facts = tenant.facts;
    await page.waitForURL((url) => url.origin === new URL(emulator.baseUrl).origin, { timeout: 20_000 });
    await page.getByLabel('Email or username').fill(facts.serviceAccount.upn);
    await page.getByLabel('Password').fill(facts.serviceAccount.password);
    if (options.shots) await screenshot(page, 'connect-05-microsoft-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (options.totp) {
      await page.getByLabel('Code').waitFor();
      await page.getByLabel('Code').fill(options.totp());
      if (options.shots) await screenshot(page, 'connect-06-microsoft-mfa');
      await page.getByRole('button', { name: 'Verify' }).click();
    }
    // Microsoft asks for consent once; a second sign-in of the same account goes straight back.
    const consent = page.getByRole('heading', { name: 'Permissions requested' });
    const back = () => page.url() === `${system.url}/connect`;
    await waitFor('the consent page or the way back', async () => back() || (await consent.isVisible()), 30_000);
    if (!back() && (await consent.isVisible())) {
      if (options.shots) await screenshot(page, 'connect-07-microsoft-consent');
      await page.getByRole('button', { name: 'Accept' }).click();
    }
    await page.waitForURL(`${system.url}/connect`, { timeout: 30_000 });
  }

  it('walks from the signup link to a completed connection, every step accessible', { timeout: 180_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { request, tenant } = await startConnect(page);
    const facts = tenant.facts;

    // 1. Terms: both documents in full, their versions, one checkbox.
    await stepHeading(page, 'Terms of Use and Privacy Policy');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'after Start, the page heading has focus');
    await page.getByRole('heading', { name: /Terms of Use$/, level: 3 }).waitFor();
    await page.getByRole('heading', { name: /Privacy Policy$/, level: 3 }).waitFor();
    assert.equal(await page.getByText(/^Version 1\.0$/).count(), 2, 'each document shows its version');
    assert.equal(await page.locator('.legal-doc li').count() > 0, true, 'lists are rendered as lists');
    await expectAccessible(page, 'terms');
    await screenshot(page, 'connect-01-terms');
    // One numbering on the page, the guide's: Step 3 of 3, and in it Step 3.1 to 3.5.
    assert.equal(await page.locator('.wizard__panel .eyebrow').first().textContent(), 'Step 3.1 of 3.5');
    assert.equal(await page.getByText(/\bPart \d/).count(), 0, 'no second numbering scheme');
    // Accept without ticking: the box says why.
    await page.getByRole('button', { name: 'Accept' }).click();
    const checkbox = page.getByLabel('I accept the Terms of Use and the Privacy Policy');
    assert.equal(await checkbox.getAttribute('aria-invalid'), 'true');
    await checkbox.check();
    await page.getByRole('button', { name: 'Accept' }).click();

    // 2. Entra app.
    await stepHeading(page, 'Entra app');
    await expectFocused(page, 'Entra app');
    await page.getByText('Where to find these values in the Entra admin center').click();
    await expectAccessible(page, 'entra app', { phoneScreenshot: 'connect-02-entra-app-390px' });
    await screenshot(page, 'connect-02-entra-app');
    assert.equal(await page.locator('.wizard__panel .eyebrow').first().textContent(), 'Step 3.2 of 3.5');
    const entra = entraAppInput(tenant);
    await page.getByLabel('Tenant').fill(entra.tenant);
    await page.getByLabel('Web App Client ID').fill(entra.clientId);
    const secret = page.getByLabel('Client secret');
    assert.equal(await secret.getAttribute('type'), 'password');
    assert.equal(await secret.getAttribute('autocomplete'), 'off');
    // A wrong secret: Microsoft refuses it, and the answer lands next to the secret field.
    await secret.fill(`${entra.clientSecret.slice(0, -4)}abcd`);
    await page.getByRole('button', { name: 'Check and continue' }).click();
    await waitFor('Microsoft\u2019s refusal is shown at the secret', async () => (await secret.getAttribute('aria-invalid')) === 'true', 20_000);
    assert.ok((await page.locator('#field-clientSecret-error').innerText()).length > 20);
    await expectAccessible(page, 'entra app refused by Microsoft');
    await screenshot(page, 'connect-02b-entra-app-wrong-secret');
    // Copy/paste adds spaces; they are removed.
    await secret.fill(`  ${entra.clientSecret}  `);
    await page.getByRole('button', { name: 'Show client secret' }).click();
    assert.equal(await secret.getAttribute('type'), 'text');
    await page.getByRole('button', { name: 'Hide client secret' }).click();
    await page.getByRole('button', { name: 'Check and continue' }).click();

    // 3. Partner Center app, with what step 2 accepted.
    await stepHeading(page, 'Partner Center app');
    await expectFocused(page, 'Partner Center app');
    await page.getByText('Entra app checked with Microsoft').waitFor();
    assert.ok((await page.locator('.accepted').innerText()).includes(`${entra.clientSecret.slice(0, 3)}…`), 'the secret hint is shown');
    assert.ok(!(await page.content()).includes(entra.clientSecret), 'the Entra secret is never shown again');
    await page.getByText('Where to find these values in Partner Center').click();
    await expectAccessible(page, 'partner center app', { phoneScreenshot: 'connect-03-partner-center-app-390px' });
    await screenshot(page, 'connect-03-partner-center-app');
    // The accepted Entra app can be reopened (filled in, except the secret) and left as it is.
    await page.getByRole('button', { name: 'Change the Entra app' }).click();
    await expectFocused(page, 'Change the Entra app');
    assert.equal(await page.getByLabel('Web App Client ID').inputValue(), entra.clientId);
    assert.equal(await page.getByLabel('Client secret').inputValue(), '');
    await page.getByRole('button', { name: 'Keep the current app' }).click();
    await expectFocused(page, 'Partner Center app');
    const pc = partnerCenterAppInput(tenant);
    await page.getByLabel('Web App ID').fill(pc.webAppId);
    await page.getByLabel('Web App Secret', { exact: true }).fill(pc.webAppSecret);
    // The expiry is left empty: the wizard reads it from Microsoft and shows it to confirm.
    await page.getByLabel('Native App ID').fill(pc.nativeAppId);
    await page.getByRole('button', { name: 'Check and continue' }).click();

    // 4. Sign in with Microsoft.
    await stepHeading(page, 'Sign in with Microsoft');
    await expectFocused(page, 'Sign in with Microsoft');
    await expectAccessible(page, 'sign in', { phoneScreenshot: 'connect-04-sign-in-390px' });
    await screenshot(page, 'connect-04-sign-in');
    const secretEnd = webAppSecretEnd(tenant);
    const shownEnd = await page.evaluate((day) => new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`)), secretEnd);
    assert.ok((await page.locator('.accepted').last().innerText()).includes(`expires ${shownEnd}`), `Microsoft\u2019s expiry date (${shownEnd}) is shown to confirm`);
    // The Partner Center app can be reopened too; the date is read again with the secret.
    await page.getByRole('button', { name: 'Change the Partner Center app' }).click();
    await expectFocused(page, 'Change the Partner Center app');
    assert.equal(await page.getByLabel('Web App Secret expires on').inputValue(), '');
    await page.getByRole('button', { name: 'Keep the current app' }).click();
    await expectFocused(page, 'Sign in with Microsoft');
    // Back from Microsoft's page: the wizard stands where it was, ready to start again.
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await page.waitForURL((url) => url.origin === new URL(emulator.baseUrl).origin, { timeout: 20_000 });
    await page.goBack();
    await stepHeading(page, 'Sign in with Microsoft');
    const signInButton = page.getByRole('button', { name: 'Sign in with Microsoft' });
    await waitFor('the sign-in button is usable again', () => signInButton.isEnabled(), 10_000);
    await signInButton.click();

    await signInAtMicrosoft(page, tenant, { totp: () => tenant.totp(), shots: true });

    // 5. Back on /connect: the checklist, all required checks green.
    await stepHeading(page, 'Checks');
    const summary = page.locator('.checks-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /^✓?\s*All \d+ required checks passed/);
    const checks = await page.locator('li.check').evaluateAll((items) =>
      items.map((item) => ({ status: item.querySelector('.check__status')?.textContent?.replace(/\W/g, ''), optional: item.querySelector('.check__optional') !== null })),
    );
    assert.ok(checks.length >= 8, `every check is listed (${checks.length})`);
    const notGreen = checks.filter((c) => !c.optional && !/^(Passed|Warning)$/.test(c.status ?? ''));
    assert.deepEqual(notGreen, [], 'every required check is green');
    assert.match(await page.locator('.wizard__panel').innerText(), new RegExp(`Signed in as ${escapeRegExp(facts.serviceAccount.upn)} with multi-factor authentication`));
    await expectAccessible(page, 'checks', { phoneScreenshot: 'connect-08-checks-small-screen' });
    await screenshot(page, 'connect-08-checks');

    // Run again without starting over.
    await page.getByRole('button', { name: 'Run the checks again' }).click();
    await waitFor('the checks ran again', async () => /All \d+ required checks passed/.test(await summary.innerText()), 10_000);
    const complete = page.getByRole('button', { name: 'Complete the connection' });
    assert.equal(await complete.isEnabled(), true);
    await complete.click();

    // 6. Done.
    await stepHeading(page, 'Your Microsoft tenant is connected');
    await expectFocused(page, 'Your Microsoft tenant is connected');
    assert.match(await page.locator('h1').innerText(), new RegExp(`${escapeRegExp(request.company.legalName)} is connected`));
    assert.equal(await page.getByRole('link', { name: 'See the connection status' }).getAttribute('href'), '/status');
    await expectAccessible(page, 'done');
    await screenshot(page, 'connect-09-done');

    // Reload resumes where the partner stands.
    await page.reload();
    await stepHeading(page, 'Your Microsoft tenant is connected');

    const partner = await system.database.db.selectFrom('partners').select('state').where('legal_name', '=', request.company.legalName).executeTakeFirstOrThrow();
    // The customer import may already have run (the worker runs in the same system).
    assert.ok(['connected', 'syncing', 'active'].includes(partner.state), partner.state);
    await context.close();
  });

  it('says so next to the field when a secret ID is pasted as the secret (keyboard only)', { timeout: 90_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { tenant } = await startConnect(page);
    await stepHeading(page, 'Terms of Use and Privacy Policy');
    // Keyboard only: tick the box with Space, Tab to Accept, Enter.
    await page.getByLabel('I accept the Terms of Use and the Privacy Policy').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Accept');
    await page.keyboard.press('Enter');
    await stepHeading(page, 'Entra app');
    await expectFocused(page, 'Entra app');

    const entra = entraAppInput(tenant);
    for (const value of [entra.tenant, entra.clientId, tenant.facts.totalOneApp.secretKeyId!]) {
      // Tab to the form's next field: the "where to find" box and the set-up offer come first in the tab order.
      for (let presses = 0; presses < 20; presses++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement?.tagName === 'INPUT' && document.activeElement.id.startsWith('field-'))) break;
      }
      await page.keyboard.type(value);
    }
    await page.keyboard.press('Enter');

    const secret = page.getByLabel('Client secret');
    await waitFor('the secret field is marked invalid', async () => (await secret.getAttribute('aria-invalid')) === 'true', 10_000);
    // After the failed submit the error summary has focus; its link leads to the field.
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'error-summary');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-clientSecret');
    const describedBy = (await secret.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.includes('field-clientSecret-error'), describedBy);
    assert.match(await page.locator('#field-clientSecret-error').innerText(), /secret\u2019s ID, not its value/);
    // The message sits in the field's own frame, right above its input.
    const frame = page.locator('.field', { has: page.locator('#field-clientSecret') });
    assert.match(await frame.innerText(), /secret\u2019s ID, not its value/);
    await expectAccessible(page, 'entra app with a field error');
    await screenshot(page, 'connect-10-secret-id-as-value');
    await context.close();
  });

  it('the landing page\u2019s Step 2 guidance names the exact reply address and where it goes', { timeout: 60_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${system.url}/#prepare-microsoft`);
    const guidance = page.locator('#prepare-microsoft');
    const replyAddress = `${system.publicUrl}/api/connect/microsoft/callback`;
    await waitFor('the reply address is shown', async () => (await guidance.innerText()).includes(replyAddress), 10_000);
    assert.match(await guidance.innerText(), /App registrations > All applications > the Partner Center web app .*> Authentication > Add a platform > Web/s);
    // The MFA timeline, in plain words (what the sign-in's amr_values=mfa request is for).
    assert.match(await guidance.innerText(), /15 October 2024.*8 September 2025.*1 April 2026/s);
    await expectAccessible(page, 'landing page');
    await screenshot(guidance, 'landing-step-2-reply-address');

    // The same checklist on one printable page, with where Step 3's values come from.
    await page.getByRole('link', { name: 'Open the printable checklist' }).click();
    await page.getByRole('heading', { level: 1, name: 'Checklist: prepare Microsoft for TotalOne' }).waitFor();
    const checklist = page.locator('.checklist-page');
    await waitFor('the printable checklist shows the reply address', async () => (await checklist.innerText()).includes(replyAddress), 10_000);
    assert.equal(await page.locator('.checklist-page .checklist > li').count(), await countOnLanding(), 'the same items as the landing page');
    assert.match(await checklist.innerText(), /gear icon > Account settings > App management > Web app/);
    assert.match(await page.locator('main').innerText(), /3\.3 Partner Center app\s+Web App ID/);
    await expectAccessible(page, 'printable checklist', { phoneScreenshot: 'checklist-390px' });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.site-header').isVisible(), false, 'printed without the site header');
    assert.equal(await page.getByRole('button', { name: 'Print this checklist' }).isVisible(), false, 'nor the print button');
    await screenshot(page, 'checklist-print');
    await page.emulateMedia({ media: 'screen' });
    await context.close();

    async function countOnLanding(): Promise<number> {
      const landing = await context.newPage();
      await landing.goto(`${system.url}/`);
      await landing.locator('#prepare-microsoft .checklist').first().waitFor();
      const n = await landing.locator('#prepare-microsoft .checklist > li').count();
      await landing.close();
      return n;
    }
  });

  it('reply address missing: the sign-in is refused with the address and the fix; after the fix, the same session signs in and completes (keyboard)', { timeout: 150_000 }, async () => {
    const replyAddress = `${system.publicUrl}/api/connect/microsoft/callback`;
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.url! });
    const page = await context.newPage();
    const { tenant } = await startConnect(page, listScenarios().some((s) => s.name === 'reply-address-missing') ? 'reply-address-missing' : 'ready');
    await acceptTermsInPage(page);
    await stepHeading(page, 'Entra app');
    await enterEntraApp(page, tenant);
    await stepHeading(page, 'Partner Center app');

    // The Partner Center step shows the exact address, where it goes, and copies it.
    const shown = page.getByLabel('Reply address', { exact: true });
    assert.equal(await shown.inputValue(), replyAddress);
    assert.match(await page.locator('#field-replyAddress-hint').innerText(), /App registrations > All applications > the Partner Center web app > Authentication > Add a platform > Web/);
    await page.getByRole('button', { name: 'Copy the reply address' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), replyAddress);
    await expectAccessible(page, 'partner center app with the reply address');
    await screenshot(page, 'connect-03b-reply-address');
    await enterPartnerCenterApp(page, tenant);

    // Sign in, by keyboard: refused before Microsoft, answered at the reply address.
    await stepHeading(page, 'Sign in with Microsoft');
    const signInButton = page.getByRole('button', { name: 'Sign in with Microsoft' });
    await signInButton.focus();
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert').filter({ hasText: 'Register the reply address first' });
    await alert.waitFor();
    assert.equal(new URL(page.url()).origin, system.url, 'the browser stayed with TotalOne');
    const error = page.locator('#field-replyAddress-error');
    assert.ok((await error.innerText()).includes(replyAddress));
    assert.match(await error.innerText(), /Authentication/);
    assert.equal(await page.getByLabel('Reply address', { exact: true }).getAttribute('aria-invalid'), 'true');
    await waitFor('the reply address with its fix has focus', async () => page.evaluate(() => document.activeElement?.classList.contains('reply-address') ?? false), 10_000);
    // From there the keyboard reaches the address, its copy button and the sign-in button again.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-replyAddress');
    await page.keyboard.press('Tab');
    assert.match((await page.evaluate(() => document.activeElement?.textContent)) ?? '', /Copy/);
    await expectAccessible(page, 'sign-in refused: reply address missing');
    await screenshot(page, 'connect-04b-reply-address-missing');

    // The partner registers the address on the web app (the emulator's admin API), then signs in again.
    const fixed = await fetch(`${emulator.baseUrl}/_emulator/scenario/patch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'addRedirectUri', uri: replyAddress, appId: tenant.facts.partnerCenter.webAppId, tenantId: tenant.id }),
    });
    assert.equal(fixed.status, 200);
    await signInButton.focus();
    await page.keyboard.press('Enter');
    await signInAtMicrosoft(page, tenant, { totp: () => tenant.totp() });
    await stepHeading(page, 'Checks');
    await waitFor('the checks passed', async () => /All \d+ required checks passed/.test(await page.locator('.checks-summary').innerText().catch(() => '')), 30_000);
    await page.getByRole('button', { name: 'Complete the connection' }).click();
    await stepHeading(page, 'Your Microsoft tenant is connected');
    await context.close();
  });

  it('not-admin-agent: the failed check says how to fix it; after the fix, a re-run turns it green', { timeout: 120_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { tenant } = await startConnect(page, 'not-admin-agent');
    await acceptTermsInPage(page);
    await stepHeading(page, 'Entra app');
    await enterEntraApp(page, tenant);
    await stepHeading(page, 'Partner Center app');
    await enterPartnerCenterApp(page, tenant);
    await stepHeading(page, 'Sign in with Microsoft');
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await signInAtMicrosoft(page, tenant, { totp: () => tenant.totp() });

    await stepHeading(page, 'Checks');
    const membership = page.locator('li.check').filter({ has: page.locator('.check__title', { hasText: /Service account is a member of AdminAgents/ }) });
    assert.match(await membership.locator('.check__status').innerText(), /Failed/i);
    assert.match(await membership.locator('.check__fix').innerText(), /How to fix:.*Admin agent/s);
    // Partner Center refuses an account without the Admin agent role (403), so its own check fails too.
    assert.match(await page.locator('.checks-summary').innerText(), /\d+ of \d+ required checks passed, 3 failed \(1 of them optional\)/, await page.locator('ul.checks').innerText());
    const complete = page.getByRole('button', { name: 'Complete the connection' });
    assert.equal(await complete.isDisabled(), true);
    assert.match(await page.locator(`#${await complete.getAttribute('aria-describedby')}`).innerText(), /every required check has passed/);
    await expectAccessible(page, 'a failed check');
    await screenshot(page, 'connect-12-failed-check');

    // "Fix it for me": TotalOne makes the membership change in the directory itself.
    await membership.getByRole('button', { name: 'Add it to AdminAgents for me' }).click();
    await waitFor('the check passes after the fix', async () => /Passed/i.test(await membership.locator('.check__status').innerText()), 10_000);
    await expectAccessible(page, 'after the fix');
    assert.equal(await complete.isEnabled(), true);
    await context.close();
  });

  it('no-mfa: the refused sign-in is shown with its fix; after MFA is enforced, signing in again reaches the checks', { timeout: 120_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { tenant } = await startConnect(page, 'no-mfa');
    await acceptTermsInPage(page);
    await stepHeading(page, 'Entra app');
    await enterEntraApp(page, tenant);
    await stepHeading(page, 'Partner Center app');
    await enterPartnerCenterApp(page, tenant);
    await stepHeading(page, 'Sign in with Microsoft');
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await signInAtMicrosoft(page, tenant);

    // Back on the sign-in step: what went wrong, first and focused, and the way to try again.
    await stepHeading(page, 'Sign in with Microsoft');
    const alert = page.getByRole('alert').filter({ hasText: 'multi-factor authentication' });
    await alert.waitFor();
    // Asked for MFA (amr_values=mfa), an account without a method must register one (AADSTS50079).
    assert.match(await alert.innerText(), /register a multi-factor authentication method/);
    assert.match(await alert.innerText(), /AADSTS50079/);
    await waitFor('the error has focus', async () => page.evaluate(() => document.activeElement?.contains(document.querySelector('[role="alert"]')) ?? false), 10_000);
    await expectAccessible(page, 'sign-in refused');
    await screenshot(page, 'connect-11-sign-in-without-mfa');

    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    tenant.patch({ op: 'setMfa', method: 'totp', secret }, { op: 'setConditionalAccess', requireMfa: true });
    await page.getByRole('button', { name: 'Sign in with Microsoft again' }).click();
    await signInAtMicrosoft(page, tenant, { totp: () => totpCode(secret, emulator.now()) });
    await stepHeading(page, 'Checks');
    const mfa = page.locator('li.check').filter({ has: page.locator('.check__title', { hasText: 'multi-factor authentication' }) });
    assert.match(await mfa.locator('.check__status').innerText(), /Passed/i);
    assert.equal(await page.getByRole('alert').filter({ hasText: 'AADSTS50079' }).count(), 0, 'the old error is gone');
    await context.close();
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
