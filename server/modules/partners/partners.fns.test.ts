import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyGraph, classifyIdentity, classifyPartnerCenter, type Failure } from '../microsoft/microsoft.failures.ts';
import { driftChanges, dueReminder, firstRequiredFailure, matchSecret, syncFailureOutcome, type SyncFailureOutcome } from './partners.fns.ts';
import { spreadSeconds } from './partners.drift.ts';

// Every refusal only the partner can fix stops the import's retries and tells people: the codes
// below, one test each, with what the partner is told and what happens to the partner.

const cases: Array<[string, () => Failure, SyncFailureOutcome, RegExp]> = [
  ['AADSTS7000222 (Partner Center web app secret expired)', () => classifyIdentity({ aadsts: 7000222 }, { source: 'partner_center_app' }), 'needs_attention', /App management > Web app > Add key/],
  ['AADSTS7000222 (Entra app secret expired)', () => classifyIdentity({ aadsts: 7000222 }, { source: 'entra_app' }), 'needs_attention', /Certificates & secrets > New client secret/],
  ['AADSTS7000215 (secret not accepted)', () => classifyIdentity({ aadsts: 7000215 }, { source: 'partner_center_app' }), 'needs_attention', /Add key/],
  ['AADSTS50173 (grant revoked)', () => classifyIdentity({ aadsts: 50173 }), 'reconnect', /Sign in again/],
  ['AADSTS700082 (refresh token expired)', () => classifyIdentity({ aadsts: 700082 }), 'reconnect', /Sign in again/],
  ['AADSTS53003 (Conditional Access block)', () => classifyIdentity({ aadsts: 53003 }), 'needs_attention', /Conditional Access/],
  ['AADSTS50076 (MFA required)', () => classifyIdentity({ aadsts: 50076 }), 'reconnect', /multi-factor/],
  ['AADSTS50079 (MFA registration required)', () => classifyIdentity({ aadsts: 50079 }), 'reconnect', /mysecurityinfo/],
  ['AADSTS65001 (consent missing)', () => classifyIdentity({ aadsts: 65001 }, { source: 'partner_center_app' }), 'needs_attention', /Grant admin consent/],
  ['AADSTS50011 (reply address)', () => classifyIdentity({ aadsts: 50011 }, { replyAddress: 'https://signup.example/api/connect/microsoft/callback' }), 'reconnect', /Redirect URIs/],
  ['AADSTS900421 (Partner Center without MFA)', () => classifyPartnerCenter({ status: 401, code: 900421 }), 'reconnect', /MFA/],
  ['Partner Center 401', () => classifyPartnerCenter({ status: 401, code: 'Unauthorized' }), 'reconnect', /Sign in again/],
  ['Partner Center 403 (Admin agent role missing)', () => classifyPartnerCenter({ status: 403, code: 'Forbidden' }), 'needs_attention', /Admin agent/],
  ['Graph Authorization_RequestDenied', () => classifyGraph({ status: 403, code: 'Authorization_RequestDenied' }, { graphPermission: 'Application.Read.All' }), 'needs_attention', /Application\.Read\.All/],
];

describe('a failed import: what the partner is told and what happens', () => {
  for (const [name, classify, outcome, fix] of cases) {
    it(`${name} -> ${outcome}, no retry, with the exact fix`, () => {
      const failure = classify();
      assert.equal(failure.kind, 'partner_action');
      assert.equal(syncFailureOutcome(failure), outcome);
      assert.match(failure.fix, fix);
      assert.ok(failure.problem.length > 10);
    });
  }

  it('transient and operator failures are retried (nobody is emailed)', () => {
    assert.equal(syncFailureOutcome(classifyPartnerCenter({ status: 503, code: 'ServiceUnavailable' })), 'retry');
    assert.equal(syncFailureOutcome(classifyIdentity({ aadsts: 123456 })), 'retry');
  });
});

describe('secret-expiry reminders', () => {
  const now = new Date('2026-03-01T06:00:00Z');
  const inDays = (days: number, hours = 0) => new Date(now.getTime() + days * 86_400_000 + hours * 3_600_000);

  it('the smallest threshold reached, counting started days; the secondary contact from 14 days on', () => {
    assert.deepEqual(dueReminder(inDays(61), now), { kind: 'none' });
    assert.deepEqual(dueReminder(inDays(60), now), { kind: 'reminder', threshold: 60, daysLeft: 60, toSecondary: false });
    assert.deepEqual(dueReminder(inDays(59, 2), now), { kind: 'reminder', threshold: 60, daysLeft: 60, toSecondary: false });
    assert.deepEqual(dueReminder(inDays(31), now), { kind: 'reminder', threshold: 60, daysLeft: 31, toSecondary: false });
    assert.deepEqual(dueReminder(inDays(30), now), { kind: 'reminder', threshold: 30, daysLeft: 30, toSecondary: false });
    assert.deepEqual(dueReminder(inDays(15), now), { kind: 'reminder', threshold: 30, daysLeft: 15, toSecondary: false });
    assert.deepEqual(dueReminder(inDays(14), now), { kind: 'reminder', threshold: 14, daysLeft: 14, toSecondary: true });
    assert.deepEqual(dueReminder(inDays(7), now), { kind: 'reminder', threshold: 7, daysLeft: 7, toSecondary: true });
    assert.deepEqual(dueReminder(inDays(0, 5), now), { kind: 'reminder', threshold: 1, daysLeft: 1, toSecondary: true });
    assert.deepEqual(dueReminder(now, now), { kind: 'expired' });
    assert.deepEqual(dueReminder(inDays(-3), now), { kind: 'expired' });
  });

  it('matches the entered secret by its hint; of several, the one that ends first', () => {
    const credentials = [
      { keyId: 'a', hint: 'abc', endDateTime: '2027-01-01T00:00:00Z' },
      { keyId: 'b', hint: 'abc', endDateTime: '2026-06-01T00:00:00Z' },
      { keyId: 'c', hint: 'xyz', endDateTime: '2026-04-01T00:00:00Z' },
      { keyId: 'd', hint: 'nev', endDateTime: null },
    ];
    assert.deepEqual(matchSecret(credentials, 'abc'), { keyId: 'b', endsAt: new Date('2026-06-01T00:00:00Z') });
    assert.deepEqual(matchSecret(credentials, 'nev'), { keyId: 'd', endsAt: null });
    assert.equal(matchSecret(credentials, 'qqq'), undefined);
    assert.equal(matchSecret(credentials, 'ab'), undefined, 'a hint shorter than three characters matches nothing');
    assert.equal(matchSecret(credentials, null), undefined);
  });
});

describe('daily drift check', () => {
  const check = (id: string, status: 'passed' | 'failed' | 'warning' | 'unknown', required = true) => ({ id, title: `Check ${id}`, status, required, found: `found ${id}`, ...(status === 'passed' ? {} : { fix: `fix ${id}` }) });

  it('lists what changed since the previous run', () => {
    assert.deepEqual(driftChanges([check('a', 'passed'), check('b', 'warning')], [check('a', 'failed'), check('b', 'warning'), check('c', 'passed')]), [
      { id: 'a', from: 'passed', to: 'failed' },
      { id: 'c', from: null, to: 'passed' },
    ]);
    assert.deepEqual(driftChanges(undefined, [check('a', 'passed')]), [{ id: 'a', from: null, to: 'passed' }]);
  });

  it('the first failing required check becomes the finding; warnings, unknowns and optional checks do not', () => {
    assert.equal(firstRequiredFailure([check('a', 'warning'), check('b', 'unknown'), check('c', 'failed', false)]), undefined);
    const failure = firstRequiredFailure([check('a', 'passed'), check('b', 'failed')]);
    assert.deepEqual(failure, { kind: 'partner_action', code: 'CHECK_b', problem: 'Check b: found b', fix: 'fix b', then: 'check_again' });
  });

  it('spreads the partners over the day, the same second every day', () => {
    const a = spreadSeconds('0b9c4c3e-6d1f-4c55-8a53-1d2f3e4a5b6c');
    assert.equal(spreadSeconds('0b9c4c3e-6d1f-4c55-8a53-1d2f3e4a5b6c'), a);
    assert.ok(a >= 0 && a < 86_400);
    const seconds = new Set(Array.from({ length: 50 }, (_, i) => spreadSeconds(`partner-${i}`)));
    assert.ok(seconds.size > 40, 'different partners, different times');
  });
});
