import assert from 'node:assert/strict';
import type { Emulator } from '../../emulator/index.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft } from './connect.ts';
import { secondaryContact } from './factories.ts';
import { Browser } from './http.ts';
import { claimedSignup, type TenantSetup } from './journeys.ts';
import type { TestSystem } from './system.ts';

// Helpers of the customer sync tests.

/**
 * A partner that signed up and connected its own tenant (a new tenant in `emulator`, set up as
 * `options.scenario`, default `ready`) over HTTP: its sync is queued. Patch its tenant through
 * the answer's `tenant`.
 */
export async function connectPartner(system: TestSystem, emulator: Emulator, options: { secondary?: boolean } & TenantSetup = {}) {
  const browser = new Browser(system.url!);
  const { secondary, ...setup } = options;
  const claimed = await claimedSignup({ ...system, emulator }, browser, secondary ? { secondaryContact: secondaryContact() } : {}, setup);
  const tenant = claimed.tenant;
  await acceptTerms(browser);
  const entra = await browser.post('/api/connect/entra-app', entraAppInput(tenant));
  assert.equal(entra.status, 200, JSON.stringify(entra.body));
  const partnerCenter = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant));
  assert.equal(partnerCenter.status, 200, JSON.stringify(partnerCenter.body));
  await signInWithMicrosoft(browser, tenant);
  const commit = await browser.post('/api/connect/commit');
  assert.equal(commit.status, 200, JSON.stringify(commit.body));
  return { browser, request: claimed.request, email: claimed.email, signupToken: claimed.signupToken, partner: claimed.partner, tenant };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function partnerState(system: TestSystem, partnerId: string) {
  return (await system.database.db.selectFrom('partners').select('state').where('id', '=', partnerId).executeTakeFirstOrThrow()).state;
}

