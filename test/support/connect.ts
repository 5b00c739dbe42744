import assert from 'node:assert/strict';
import { completeSignIn, type Emulator } from '../../emulator/index.ts';
import type { Browser } from './http.ts';

// Helpers that walk the connect wizard through HTTP as a partner would, with the facts of the
// emulator's scenario (what the partner prepared in Step 2).

export async function acceptTerms(browser: Browser) {
  const terms = await browser.get('/api/connect/terms');
  const documents = terms.body.documents.map((d: { document: string; version: string; sha256: string }) => ({ document: d.document, version: d.version, sha256: d.sha256 }));
  const accepted = await browser.post('/api/connect/terms-acceptances', { accepted: true, documents });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
}

export function entraAppInput(emulator: Emulator, overrides: Record<string, string> = {}) {
  const f = emulator.facts;
  return { tenant: f.domain, clientId: f.totalOneApp.appId, clientSecret: f.totalOneApp.secret!, ...overrides };
}

export function partnerCenterAppInput(emulator: Emulator, overrides: Record<string, string> = {}) {
  const f = emulator.facts;
  // No expiry date: the wizard reads it from Microsoft (the web app's key with the same first characters).
  return { webAppId: f.partnerCenter.webAppId, webAppSecret: f.partnerCenter.webAppSecret!, nativeAppId: f.partnerCenter.nativeAppId, ...overrides };
}

/** The day Microsoft says the Partner Center web app's secret ends (what the wizard reads). */
export function webAppSecretEnd(emulator: Emulator): string {
  const f = emulator.facts;
  const app = emulator.scenario.tenants.find((t) => t.id === f.tenantId)!.applications.find((a) => a.appId === f.partnerCenter.webAppId)!;
  return app.passwordCredentials.find((c) => c.secretText === f.partnerCenter.webAppSecret)!.endDateTime!.slice(0, 10);
}

/** Starts the sign-in, walks Microsoft's pages (password, MFA, consent), follows the redirect back. */
export async function signInWithMicrosoft(browser: Browser, emulator: Emulator, options: { password?: string; consent?: 'accept' | 'cancel' } = {}) {
  const start = await browser.post('/api/connect/microsoft-sign-in');
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const f = emulator.facts;
  const outcome = await completeSignIn({
    authorizeUrl: start.body.authorizeUrl,
    username: f.serviceAccount.upn,
    password: options.password ?? f.serviceAccount.password,
    ...(f.serviceAccount.mfa === 'totp' ? { totp: () => emulator.totp() } : {}),
    consent: options.consent ?? 'accept',
  });
  assert.ok(outcome.redirectUrl, `sign-in ended on a page: ${outcome.pageError ?? outcome.pages.join(' > ')}`);
  const callback = outcome.redirectUrl!;
  const back = await browser.get(`${callback.pathname}${callback.search}`);
  assert.equal(back.status, 303);
  assert.equal(back.headers.get('location'), '/connect');
  // Back in the wizard, the checks of a new sign-in run as the page asks for them.
  const state = await browser.get('/api/connect/state');
  if (state.body.step === 'preflight' && !state.body.preflight) {
    const checks = await browser.post('/api/connect/preflight', {});
    assert.equal(checks.status, 200, JSON.stringify(checks.body));
  }
  return { start, outcome };
}
