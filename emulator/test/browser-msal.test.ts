// The sign-in pages driven by a real browser (headless Chromium) while MSAL Node, configured
// exactly as the product will configure it, builds the request and redeems the code; then
// refresh and client-credentials flows through MSAL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser.ts';
import { completeSignIn, startEmulator, type Emulator } from '../index.ts';
import { bearer, claims, getJson } from './helpers.ts';

const REDIRECT_URI = 'http://localhost:8765/connect/microsoft/callback';
const PC_SCOPE = 'https://api.partnercenter.microsoft.com/user_impersonation';

let e: Emulator;
let browser: Browser;

before(async () => {
  e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await e?.close();
});

function msalClient(clientId: string, clientSecret: string): ConfidentialClientApplication {
  return new ConfidentialClientApplication({ auth: { clientId, clientSecret, ...e.msalConfig() } });
}

/** Opens the authorize URL and resolves with the URL the emulator finally sends the browser to. */
async function openSignIn(page: Page, authorizeUrl: string): Promise<() => Promise<URL>> {
  let resolveRedirect!: (url: URL) => void;
  const redirected = new Promise<URL>((resolve) => { resolveRedirect = resolve; });
  await page.route(`${REDIRECT_URI}**`, async (route) => {
    resolveRedirect(new URL(route.request().url()));
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Back in the app</title><p>done</p>' });
  });
  await page.goto(authorizeUrl);
  return () => redirected;
}

async function assertAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.help}`), []);
}

describe('browser sign-in with MSAL Node', () => {
  it('signs in with password + TOTP, consents, and MSAL redeems, refreshes and reads Partner Center', async () => {
    const f = e.facts;
    const cca = msalClient(f.partnerCenter.webAppId, f.partnerCenter.webAppSecret!);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const nonce = 'nonce-browser-1';
    const authorizeUrl = await cca.getAuthCodeUrl({ scopes: [PC_SCOPE], redirectUri: REDIRECT_URI, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 'st-1', nonce });
    assert.ok(authorizeUrl.startsWith(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/authorize?`));

    const context = await browser.newContext();
    const page = await context.newPage();
    const redirect = await openSignIn(page, authorizeUrl);
    await assertAccessible(page);
    await page.getByLabel('Email or username').fill(f.serviceAccount.upn);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'AADSTS50126' }).waitFor();
    await page.getByLabel('Password').fill(f.serviceAccount.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    await assertAccessible(page);
    await page.getByLabel('Code').fill(e.totp());
    await page.getByRole('button', { name: 'Verify' }).click();

    await page.getByRole('heading', { name: 'Permissions requested' }).waitFor();
    await assertAccessible(page);
    assert.match(await page.locator('ul.permissions').innerText(), /Microsoft Partner Center: user_impersonation/);
    await page.getByRole('button', { name: 'Accept' }).click();
    const url = await redirect();
    await context.close();
    assert.equal(url.searchParams.get('state'), 'st-1');
    const code = url.searchParams.get('code');
    assert.ok(code);

    const result = await cca.acquireTokenByCode({ code, scopes: [PC_SCOPE], redirectUri: REDIRECT_URI, codeVerifier: verifier, nonce });
    assert.ok(result.account);
    assert.equal(result.account.homeAccountId, `${f.serviceAccount.id}.${f.tenantId}`);
    assert.equal(result.account.username, f.serviceAccount.upn);
    assert.equal(result.idTokenClaims && (result.idTokenClaims as { nonce?: string }).nonce, nonce);
    assert.deepEqual(claims(result.accessToken).amr, ['pwd', 'mfa']);
    assert.ok(result.scopes.includes(PC_SCOPE));

    const customers = await getJson(`${e.baseUrl}/v1/customers?size=50`, bearer(result.accessToken));
    assert.equal(customers.status, 200);
    assert.equal(customers.body.items.length, 50);

    const refreshed = await cca.acquireTokenSilent({ account: result.account, scopes: [PC_SCOPE], forceRefresh: true });
    assert.notEqual(refreshed.accessToken, result.accessToken);
    assert.ok(e.tokens.some((t) => t.grantType === 'refresh_token' && t.kind === 'access_token'));
    const cached = await cca.acquireTokenSilent({ account: result.account, scopes: [PC_SCOPE] });
    assert.equal(cached.accessToken, refreshed.accessToken, 'MSAL serves the refreshed token from its cache');
  });

  it('approves push MFA and grants organization-wide consent as an existing admin', async () => {
    e.loadScenario('ready');
    const f = e.facts;
    const admin = e.scenario.tenants[0]!.users.find((u) => u.userPrincipalName.startsWith('admin@'))!;
    const cca = msalClient(f.partnerCenter.webAppId, f.partnerCenter.webAppSecret!);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const authorizeUrl = await cca.getAuthCodeUrl({ scopes: [PC_SCOPE], redirectUri: REDIRECT_URI, codeChallenge: challenge, codeChallengeMethod: 'S256', prompt: 'login' });
    const context = await browser.newContext();
    const page = await context.newPage();
    const redirect = await openSignIn(page, authorizeUrl);
    await page.getByLabel('Email or username').fill(admin.userPrincipalName);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByLabel('Consent on behalf of your organization').check();
    await page.getByRole('button', { name: 'Accept' }).click();
    const url = await redirect();
    await context.close();
    const result = await cca.acquireTokenByCode({ code: url.searchParams.get('code')!, scopes: [PC_SCOPE], redirectUri: REDIRECT_URI, codeVerifier: verifier });
    assert.equal(result.account?.username, admin.userPrincipalName);
    const grant = e.scenario.tenants[0]!.oauth2PermissionGrants.find((g) => g.scope.includes('user_impersonation'));
    assert.equal(grant?.consentType, 'AllPrincipals');
  });

  it('works with a multi-tenant authority (organizations): the tenant comes from the sign-in', async () => {
    e.loadScenario('ready');
    const f = e.facts;
    const cca = new ConfidentialClientApplication({ auth: { clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, ...e.msalConfig('organizations') } });
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const authorizeUrl = await cca.getAuthCodeUrl({ scopes: [PC_SCOPE], redirectUri: REDIRECT_URI, codeChallenge: challenge, codeChallengeMethod: 'S256' });
    assert.ok(authorizeUrl.startsWith(`${e.baseUrl}/organizations/oauth2/v2.0/authorize?`));
    const out = await completeSignIn({ authorizeUrl, username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp() });
    assert.ok(out.code, JSON.stringify(out));
    const result = await cca.acquireTokenByCode({ code: out.code, scopes: [PC_SCOPE], redirectUri: REDIRECT_URI, codeVerifier: verifier });
    assert.equal(result.tenantId, f.tenantId);
    assert.equal(result.account?.tenantId, f.tenantId);
    assert.equal(claims(result.accessToken).tid, f.tenantId);
  });

  it('gets an app-only Graph token through MSAL client credentials', async () => {
    const f = e.facts;
    const cca = msalClient(f.totalOneApp.appId, f.totalOneApp.secret!);
    const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    assert.ok(result);
    assert.ok(claims(result.accessToken).roles.includes('Directory.ReadWrite.All'));
    const groups = await getJson(`${e.baseUrl}/v1.0/groups?$filter=${encodeURIComponent("displayName eq 'AdminAgents'")}`, bearer(result.accessToken));
    assert.equal(groups.body.value[0].id, f.adminAgentsGroupId);
  });
});
