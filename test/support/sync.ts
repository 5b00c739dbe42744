import assert from 'node:assert/strict';
import type { Emulator } from '../../emulator/index.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft } from './connect.ts';
import { Browser } from './http.ts';
import { claimedSignup } from './journeys.ts';
import type { TestSystem } from './system.ts';

// Helpers of the customer sync tests.

/** A partner that signed up and connected the emulator's tenant over HTTP: its sync is queued. */
export async function connectPartner(system: TestSystem, emulator: Emulator, options: { secondary?: boolean } = {}) {
  const browser = new Browser(system.url!);
  const claimed = await claimedSignup(system, browser, options.secondary ? { secondaryContact: { firstName: 'Tom', lastName: 'Berg', jobTitle: 'CTO', email: `tom.${Date.now()}@fabrikam.example`, phone: '+49 30 7654321' } } : {});
  await acceptTerms(browser);
  assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(emulator))).status, 200);
  assert.equal((await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(emulator))).status, 200);
  await signInWithMicrosoft(browser, emulator);
  const commit = await browser.post('/api/connect/commit');
  assert.equal(commit.status, 200, JSON.stringify(commit.body));
  return { ...claimed, browser };
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

