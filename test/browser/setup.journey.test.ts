import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { expectAccessible, launchChromium, phoneWidthCheck, screenshot } from '../support/browser.ts';
import { partnerCenterAppInput } from '../support/connect.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// "Set up Microsoft for me" in Chromium, on an emulator tenant where only the service account and
// Partner Center's apps exist: one administrator sign-in with MFA and consent for the
// organization, every action shown, then only the Partner Center values, the service account's
// sign-in, all required checks green and the completed connection.

describe('browser journey: Set up Microsoft for me (scenario setup-service-account-only)', () => {
  let system: TestSystem;
  let emulator: Emulator;
  let chromium: Chromium;

  before(async () => {
    emulator = await startEmulator({ scenario: 'setup-service-account-only' });
    system = await startTestSystem('pglite', { webDist: process.env.TEST_WEB_DIST ?? 'web/dist', emulator });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
    await emulator?.close();
  });

  /** `ownDomain`: sign up with the tenant's initial domain; otherwise a new domain verified in the tenant. */
  async function startConnect(page: Page, ownDomain = true) {
    const request = ownDomain ? signupRequest({ company: { entraDomain: emulator.facts.domain } }) : signupRequest();
    if (!ownDomain) emulator.patch({ op: 'addDomain', name: request.company.entraDomain });
    const email = request.primaryContact.email;
    const http = new Browser(system.url!);
    assert.equal((await http.post('/api/signups', request)).status, 202);
    const verification = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 20_000);
    assert.equal((await http.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
    const linkMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 20_000);
    await page.goto(`${system.url}/signup-link#token=${linkToken(linkMail.text, 'signup-link')}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(`${system.url}/connect`);
    return request;
  }

  async function stepHeading(page: Page, name: string | RegExp) {
    const heading = page.getByRole('heading', { level: 2, name });
    try {
      await heading.waitFor({ timeout: 20_000 });
    } catch (error) {
      await screenshot(page, `setup-failed-waiting-for-${String(name).replace(/\W+/g, '-').toLowerCase()}`).catch(() => {});
      const text = await page.locator('body').innerText().catch(() => '');
      throw new Error(`${(error as Error).message}\nPage ${page.url()} shows:\n${text.slice(0, 2000)}`);
    }
  }

  /** Microsoft's pages: the service account (a Global Administrator) with its authenticator code, then consent. */
  async function signInAtMicrosoft(page: Page, options: { forOrganization?: boolean } = {}) {
    const facts = emulator.facts;
    await page.waitForURL((url) => url.origin === new URL(emulator.baseUrl).origin, { timeout: 20_000 });
    await page.getByLabel('Email or username').fill(facts.serviceAccount.upn);
    await page.getByLabel('Password').fill(facts.serviceAccount.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Code').waitFor();
    await page.getByLabel('Code').fill(emulator.totp());
    await page.getByRole('button', { name: 'Verify' }).click();
    const consent = page.getByRole('heading', { name: 'Permissions requested' });
    const back = () => page.url().startsWith(`${system.url}/connect`);
    await assertEventually(async () => back() || (await consent.isVisible()), 'the consent page or the way back', 30_000);
    if (!back() && (await consent.isVisible())) {
      if (options.forOrganization) await page.getByLabel('Consent on behalf of your organization').check();
      await screenshot(page, 'setup-02-microsoft-consent');
      await page.getByRole('button', { name: 'Accept' }).click();
    }
    await page.waitForURL(`${system.url}/connect`, { timeout: 30_000 });
  }

  it('one administrator sign-in sets up Microsoft; the partner enters only the Partner Center values and completes', { timeout: 180_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const phone = phoneWidthCheck();
    await startConnect(page);
    await stepHeading(page, 'Terms of Use and Privacy Policy');
    await page.getByLabel('I accept the Terms of Use and the Privacy Policy').check();
    await page.getByRole('button', { name: 'Accept' }).click();

    // The Entra step offers the setup, with each permission and why, before any sign-in.
    await stepHeading(page, 'Entra app');
    await page.getByRole('heading', { level: 3, name: 'Set up Microsoft for me' }).waitFor();
    const panel = page.locator('.setup-panel');
    for (const permission of ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'GroupMember.ReadWrite.All', 'Directory.Read.All', 'Policy.Read.All']) {
      assert.ok((await panel.innerText()).includes(permission), permission);
    }
    assert.match(await panel.innerText(), /never stored/);
    await expectAccessible(page, 'entra app with setup');
    await screenshot(page, 'setup-01-offer');
    await phone.check(page, 'entra app with setup');
    await page.getByLabel('Partner Center Web App ID (optional)').fill(emulator.facts.partnerCenter.webAppId);
    await page.getByLabel('Service account (optional)').fill(emulator.facts.serviceAccount.upn);
    await page.getByRole('button', { name: 'Set up Microsoft for me' }).click();
    await signInAtMicrosoft(page, { forOrganization: true });

    // Back in the wizard: the Entra step is done; the record of what changed is there to read.
    await stepHeading(page, 'Partner Center app');
    const record = page.getByText('What \u201cSet up Microsoft for me\u201d changed in your tenant');
    await record.click();
    const actions = page.locator('.setup-action');
    assert.equal(await actions.count(), 9);
    const texts = await actions.allInnerTexts();
    assert.ok(texts.some((t) => /Create the app registration "Total One App": Done/.test(t)), texts.join('\n'));
    assert.ok(texts.some((t) => /client secret[^\n]*Done/i.test(t)), texts.join('\n'));
    assert.ok(texts.every((t) => !/Needs you/.test(t)), texts.join('\n'));
    assert.ok(texts.some((t) => /Check the service account: Already in place[\s\S]*MFA method registered/.test(t)), texts.join('\n'));
    await expectAccessible(page, 'partner center app after setup');
    await screenshot(page, 'setup-03-record');
    await phone.check(page, 'partner center app after setup');

    // Only the Partner Center values, then the service account's sign-in.
    const pc = partnerCenterAppInput(emulator);
    await page.getByLabel('Web App ID', { exact: true }).fill(pc.webAppId);
    await page.getByLabel('Web App Secret', { exact: true }).fill(pc.webAppSecret);
    await page.getByLabel('Native App ID').fill(pc.nativeAppId);
    await page.getByRole('button', { name: 'Check and continue' }).click();
    await stepHeading(page, 'Sign in with Microsoft');
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await signInAtMicrosoft(page);

    await stepHeading(page, 'Checks');
    const summary = page.locator('.checks-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /All \d+ required checks passed/);
    await screenshot(page, 'setup-04-checks');
    await page.getByRole('button', { name: 'Complete the connection' }).click();
    await stepHeading(page, 'Your Microsoft tenant is connected');
    phone.assertAllFit();
    await context.close();
  });

  it('a refusal is shown in plain words with its fix, and the manual path stays open (secrets blocked by policy)', { timeout: 120_000 }, async () => {
    emulator.loadScenario('setup-secrets-blocked');
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // The tenant's own domain belongs to the company connected above: this company signs up with another of its domains.
    await startConnect(page, false);
    await stepHeading(page, 'Terms of Use and Privacy Policy');
    await page.getByLabel('I accept the Terms of Use and the Privacy Policy').check();
    await page.getByRole('button', { name: 'Accept' }).click();
    await stepHeading(page, 'Entra app');
    await page.getByRole('button', { name: 'Set up Microsoft for me' }).click();
    await signInAtMicrosoft(page, { forOrganization: true });

    await stepHeading(page, 'Entra app');
    const stopped = page.locator('.notice--error', { hasText: 'The automatic setup stopped' });
    await stopped.waitFor({ timeout: 20_000 });
    assert.match(await stopped.innerText(), /blocks client secrets[\s\S]*What to do:[\s\S]*App management policies/);
    await page.getByRole('button', { name: 'Run the setup again' }).waitFor();
    await page.getByLabel('Web App Client ID').waitFor();
    await expectAccessible(page, 'setup refused');
    await screenshot(page, 'setup-05-refused');
    await context.close();
  });
});

async function assertEventually(condition: () => Promise<boolean>, message: string, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${message}`);
}
