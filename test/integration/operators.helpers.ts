import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { Browser } from '../support/http.ts';
import type { TestSystem } from '../support/system.ts';

// Operator journeys through HTTP, shared by the operator test files: create (the same service call
// the CLI makes), read the invitation from the mail catcher, accept it, sign in with TOTP codes
// computed from the enrolled secret at the test clock's time.

export const strongPassword = 'violet kettle harbour 42';

export function operatorEmail(label = 'op'): string {
  return `${label}.${randomBytes(4).toString('hex')}@totalone.example`;
}

/** The invitation token from the console link in an email (`/console/invite#token=...`). */
export function inviteToken(text: string): string {
  const match = /\/console\/invite#token=([A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error(`No console invitation link in:\n${text}`);
  return match[1]!;
}

export function totpCode(secret: string, at: Date): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at.getTime() });
}

export async function waitForInvite(system: TestSystem, email: string, after = 0): Promise<string> {
  const mail = await system.catcher!.waitFor((m) => m.to.includes(email) && /invitation to the TotalOne operator console/.test(m.subject) && m.receivedAt.getTime() >= after, 15_000);
  return inviteToken(mail.text);
}

/** Accepts an invitation through HTTP; returns the enrolled TOTP secret. */
export async function acceptInvite(system: TestSystem, token: string, password = strongPassword): Promise<string> {
  const browser = new Browser(system.url!);
  const set = await browser.post('/api/console/invites/password', { token, password });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const enrol = await browser.post('/api/console/invites/totp', { token });
  assert.equal(enrol.status, 200, JSON.stringify(enrol.body));
  const confirm = await browser.post('/api/console/invites/totp/confirm', { token, code: totpCode(enrol.body.secret, system.clock.now()) });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return enrol.body.secret as string;
}

export interface TestOperator {
  email: string;
  password: string;
  secret: string;
  id: string;
}

/** Creates an operator like the CLI does, accepts the invitation, ready to sign in. */
export async function activeOperator(system: TestSystem, role: 'admin' | 'support', email = operatorEmail(role)): Promise<TestOperator> {
  const created = await system.services.operatorAuth.createOperator({ email, role }, { type: 'system', label: 'test' });
  const token = await waitForInvite(system, email);
  const secret = await acceptInvite(system, token);
  return { email, password: strongPassword, secret, id: created.operator.id };
}

/** Signs in a fresh browser. Moves the clock to the next TOTP step first: a code is accepted once. */
export async function signIn(system: TestSystem, operator: TestOperator, browser = new Browser(system.url!)) {
  system.clock.advance(30_000);
  const response = await browser.post('/api/console/session', { email: operator.email, password: operator.password, code: totpCode(operator.secret, system.clock.now()) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return browser;
}
