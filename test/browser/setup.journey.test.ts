import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { join } from 'node:path';
import { expectAccessible, launchChromium, screenshot, screenshotsWanted } from '../support/browser.ts';
import { partnerCenterAppInput, tenantInWorld } from '../support/connect.ts';
import { preferredBackend } from '../support/database.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// "Set up Microsoft for me" in Chromium, on an emulator tenant where only the service account and
// Partner Center's apps exist: one administrator sign-in with MFA and consent for the
// organization, each action shown live as it is done (a reload mid-run shows the progress so far),
// then only the Partner Center values, the service account's sign-in, all required checks green
// and the completed connection. Then each refusal scenario with its fix, on one partner.

describe('browser journey: Set up Microsoft for me (scenario setup-service-account-only)', () => {
  let system: TestSystem;
  let emulator: Emulator;
  let chromium: Chromium;

  before(async () => {
    emulator = await startEmulator({ scenario: 'setup-service-account-only' });
    system = await startTestSystem(preferredBackend(), { webDist: process.env.TEST_WEB_DIST ?? 'web/dist', emulator });
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
      await screenshot(page, `setup-failed-waiting-for-${String(name).replace(/\W+/g, '-').toLowerCase()}`, { failure: true }).catch(() => {});
      const text = await page.locator('body').innerText().catch(() => '');
      throw new Error(`${(error as Error).message}\nPage ${page.url()} shows:\n${text.slice(0, 2000)}`);
    }
  }

  const backOnConnect = (url: URL) => url.origin === new URL(system.url!).origin && url.pathname === '/connect';

  /**
   * Microsoft's pages: by default the service account (a Global Administrator) with its
   * authenticator code, then consent (accepted, or cancelled); ends back on the wizard.
   */
  async function signInAtMicrosoft(page: Page, options: { forOrganization?: boolean; upn?: string; consent?: 'accept' | 'cancel' } = {}) {
    const upn = options.upn ?? emulator.facts.serviceAccount.upn;
    const user = emulator.scenario.tenants[0]!.users.find((u) => u.userPrincipalName === upn)!;
    await page.waitForURL((url) => url.origin === new URL(emulator.baseUrl).origin, { timeout: 20_000 });
    await page.getByLabel('Email or username').fill(upn);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (user.mfa?.method === 'approve') {
      await page.getByRole('button', { name: 'Approve' }).click();
    } else {
      await page.getByLabel('Code').waitFor();
      await page.getByLabel('Code').fill(emulator.totp(upn));
      await page.getByRole('button', { name: 'Verify' }).click();
    }
    const consent = page.getByRole('heading', { name: 'Permissions requested' });
    const back = () => backOnConnect(new URL(page.url()));
    await waitFor('the consent page or the way back', async () => back() || (await consent.isVisible()), 30_000);
    if (!back() && (await consent.isVisible())) {
      if (options.consent === 'cancel') {
        await page.getByRole('button', { name: 'Cancel' }).click();
      } else {
        if (options.forOrganization) await page.getByLabel('Consent on behalf of your organization').check();
        await screenshot(page, 'setup-02-microsoft-consent');
        await page.getByRole('button', { name: 'Accept' }).click();
      }
    }
    await page.waitForURL(backOnConnect, { timeout: 30_000 });
  }

  it('one administrator sign-in sets up Microsoft; the partner enters only the Partner Center values and completes', { timeout: 300_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
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
    await page.getByLabel('Partner Center Web App ID (optional)').fill(emulator.facts.partnerCenter.webAppId);
    await page.getByLabel('Service account (optional)').fill(emulator.facts.serviceAccount.upn);
    // Microsoft is slow to create the secret (the last action), so the run can be watched under way.
    const slowSecret = emulator.hold('POST', /\/applications\/[^/]+\/addPassword$/);
    await page.getByRole('button', { name: 'Set up Microsoft for me' }).click();
    await signInAtMicrosoft(page, { forOrganization: true });

    // Back in the wizard: the setup runs and each action appears with its result as it is done.
    await stepHeading(page, 'Entra app');
    const actions = page.locator('.setup-panel .setup-action:not(.setup-action--working)');
    await page.getByText('Setting up Microsoft for TotalOne\u2026').waitFor();
    await slowSecret.reached;
    await waitFor('the eight actions done before the secret', async () => (await actions.count()) === 8, 10_000);
    assert.match(await page.locator('.setup-action--working').innerText(), /Working on the next action[\s\S]*8 of 9 done/);
    assert.equal(await page.getByRole('button', { name: /Run the setup again|Set up Microsoft for me/ }).count(), 0, 'no second run while one runs');
    // A reload shows the progress so far, and keeps following the run. (Quick: the product gives
    // up on Microsoft after 15 seconds, so the secret is released soon.)
    await screenshot(page.locator('.setup-panel'), 'setup-03-running');
    await page.reload();
    await stepHeading(page, 'Entra app');
    await waitFor('the progress so far after a reload', async () => (await actions.count()) === 8, 10_000);
    slowSecret.release();
    const done = page.locator('.notice--success', { hasText: 'Microsoft is set up for TotalOne' });
    await done.waitFor({ timeout: 20_000 }).catch(async (error: Error) => {
      throw new Error(`${error.message}\nThe setup panel shows:\n${await page.locator('.setup-panel').innerText()}`);
    });
    assert.equal(await actions.count(), 9);
    const texts = (await actions.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    assert.ok(texts.some((t) => /Create the app registration "Total One App" ?: ?Done/i.test(t)), texts.join('\n'));
    assert.ok(texts.some((t) => /client secret[^\n]*: ?Done/i.test(t)), texts.join('\n'));
    assert.ok(texts.every((t) => !/Needs you/i.test(t)), texts.join('\n'));
    assert.ok(texts.some((t) => /Check the service account ?: ?Already in place[\s\S]*MFA method registered/i.test(t)), texts.join('\n'));
    await expectAccessible(page, 'setup completed');
    await panelShots(page, 'setup-04-completed');
    await page.getByRole('button', { name: 'Continue with the Partner Center app' }).click();

    // The Entra step is done; the record of what changed stays there to read.
    await stepHeading(page, 'Partner Center app');
    await page.getByText('What \u201cSet up Microsoft for me\u201d changed in your tenant').click();
    assert.equal(await page.locator('.setup-action').count(), 9);
    await expectAccessible(page, 'partner center app after setup');

    // Only the Partner Center values, then the service account's sign-in.
    const pc = partnerCenterAppInput(tenantInWorld(emulator));
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
    await expectAccessible(page, 'checks after setup');
    await screenshot(page, 'setup-05-checks');
    await page.getByRole('button', { name: 'Complete the connection' }).click();
    await stepHeading(page, 'Your Microsoft tenant is connected');
    await expectAccessible(page, 'connected after setup');
    await context.close();
  });

  it('each refusal is shown in plain words with its fix, and the manual path stays open: non-admin, consent declined, secrets blocked, name taken; a capped lifetime is respected', { timeout: 300_000 }, async () => {
    emulator.loadScenario('setup-service-account-only');
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // The tenant's own domain belongs to the company connected above: this company signs up with another of its domains.
    const request = await startConnect(page, false);
    /** The scenario decides what the tenant refuses; the company's domain stays verified in it. */
    const scenario = (name: string) => {
      emulator.loadScenario(name);
      emulator.patch({ op: 'addDomain', name: request.company.entraDomain });
    };
    await stepHeading(page, 'Terms of Use and Privacy Policy');
    await page.getByLabel('I accept the Terms of Use and the Privacy Policy').check();
    await page.getByRole('button', { name: 'Accept' }).click();
    await stepHeading(page, 'Entra app');

    const stopped = page.locator('.setup-panel .notice--error', { hasText: 'The automatic setup stopped' });
    /** Starts the setup as `upn`, and reads the refusal it ends with. */
    async function refused(label: string, options: Parameters<typeof signInAtMicrosoft>[1]): Promise<string> {
      await page.getByRole('button', { name: /^(Set up Microsoft for me|Run the setup again)$/ }).click();
      await signInAtMicrosoft(page, options);
      await stepHeading(page, 'Entra app');
      await stopped.waitFor({ timeout: 20_000 });
      const text = await stopped.innerText();
      // The manual form is still there, and the setup can run again.
      await page.getByRole('button', { name: 'Run the setup again' }).waitFor();
      await page.getByLabel('Web App Client ID').waitFor();
      await expectAccessible(page, `setup refused: ${label}`);
      return text;
    }

    // A user without an administrator role cannot consent for the organization.
    const jane = emulator.scenario.tenants[0]!.users.find((u) => u.userPrincipalName.startsWith('jane.doe@'))!;
    assert.match(await refused('not an administrator', { upn: jane.userPrincipalName }), /only an administrator[\s\S]*What to do:[\s\S]*Sign in with a Global Administrator/);
    await panelShots(page, 'setup-06-refused-not-admin');

    // The administrator cancels Microsoft's consent page.
    assert.match(await refused('consent declined', { consent: 'cancel' }), /not accepted[\s\S]*What to do:[\s\S]*accept/);

    // The tenant's app management policy blocks client secrets.
    scenario('setup-secrets-blocked');
    assert.match(await refused('secrets blocked', { forOrganization: true }), /blocks client secrets[\s\S]*What to do:[\s\S]*App management policies/);

    // An app of the same name belongs to someone else.
    scenario('setup-name-taken');
    assert.match(await refused('name taken', { forOrganization: true }), /already exists[\s\S]*jane\.doe[\s\S]*What to do:[\s\S]*Owners > Add owners/);
    await panelShots(page, 'setup-07-refused-name-taken');

    // A policy that caps secrets at 90 days: the setup completes with a shorter secret, and says so.
    scenario('setup-secret-lifetime-capped');
    await page.getByRole('button', { name: 'Run the setup again' }).click();
    await signInAtMicrosoft(page, { forOrganization: true });
    await page.locator('.notice--success', { hasText: 'Microsoft is set up for TotalOne' }).waitFor({ timeout: 20_000 });
    assert.match(await page.locator('.setup-action--unchanged', { hasText: 'app management policy' }).innerText(), /at most P90D: the new secret lives 89 days/);
    await expectAccessible(page, 'setup with a capped secret lifetime');
    await context.close();
  });
});

/** The setup panel alone, at the page's width and at a phone's (390 px), for people to look at. */
async function panelShots(page: Page, name: string) {
  if (!screenshotsWanted) return;
  const before = page.viewportSize();
  await screenshot(page.locator('.setup-panel'), name);
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await screenshot(page.locator('.setup-panel'), `${name}-phone`);
  } finally {
    if (before) await page.setViewportSize(before);
  }
}
