import assert from 'node:assert/strict';
import { linkToken, signupRequest } from './factories.ts';
import { Browser } from './http.ts';
import type { TestSystem } from './system.ts';

/** Signs up, verifies and claims the signup link in `browser`: the start of Step 3. */
export async function claimedSignup(system: TestSystem, browser = new Browser(system.url!), overrides: Parameters<typeof signupRequest>[0] = {}) {
  const request = signupRequest(overrides);
  const email = request.primaryContact.email;
  // The company's domain is one of its Microsoft tenant's verified domains (as the product checks).
  system.emulator?.patch({ op: 'addDomain', name: request.company.entraDomain });
  assert.equal((await browser.post('/api/signups', request)).status, 202);
  const verification = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 15_000);
  assert.equal((await browser.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
  const linkMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 15_000);
  const signupToken = linkToken(linkMail.text, 'signup-link');
  const claim = await browser.post('/api/signup-links/claim', { token: signupToken });
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  const partner = await system.database.db.selectFrom('partners').selectAll().where('entra_domain', '=', request.company.entraDomain).executeTakeFirstOrThrow();
  return { browser, request, email, signupToken, partner };
}
