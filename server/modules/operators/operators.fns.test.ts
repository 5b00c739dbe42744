import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableActions, funnel, likePattern, passwordProblems, scrubDetails } from './operators.fns.ts';

describe('operator password policy', () => {
  const email = 'jana.novak@totalone.example';
  it('accepts a long passphrase', () => {
    assert.deepEqual(passwordProblems('violet kettle harbour 42', email), []);
  });
  it('refuses short, common and email-based passwords, saying why', () => {
    assert.match(passwordProblems('Short1!', email)[0]!, /at least 12/);
    assert.match(passwordProblems('Password1234', email)[0]!, /most common/);
    assert.match(passwordProblems('aaaaaaaaaaaaaaa', email)[0]!, /most common/);
    assert.match(passwordProblems('12345678901234567', email)[0]!, /most common/);
    assert.match(passwordProblems(`my ${email} pw`, email)[0]!, /email address/);
    assert.match(passwordProblems('Jana.Novak-is-great', email)[0]!, /email address/);
  });
  it('counts characters, not bytes', () => {
    assert.deepEqual(passwordProblems('ümläüte ärger', email), []);
    assert.equal(passwordProblems('😀😀😀😀😀😀😀😀😀😀😀', email).length, 1);
  });
});

describe('audit details shown to operators', () => {
  it('drops secret-named keys and masks token-shaped strings, keeps ids and dates', () => {
    const scrubbed = scrubDetails({
      linkId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      expiresAt: '2026-01-01T10:00:00.000Z',
      token: 'abc',
      refreshToken: 'x',
      tokenHash: 'y',
      clientSecret: 'z',
      nested: { password: 'p', note: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig', ok: 'fine' },
      opaque: 'A'.repeat(50),
      reason: 'Partner asked for a new link',
    });
    assert.deepEqual(scrubbed, {
      linkId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      expiresAt: '2026-01-01T10:00:00.000Z',
      nested: { note: '[hidden]', ok: 'fine' },
      opaque: '[hidden]',
      reason: 'Partner asked for a new link',
    });
  });
});

describe('signup funnel', () => {
  const p = (state: Parameters<typeof availableActions>[0], extra: Partial<{ emailVerified: boolean; linkIssued: boolean; linkClaimed: boolean; connected: boolean }> = {}) => ({
    state,
    emailVerified: false,
    linkIssued: false,
    linkClaimed: false,
    connected: false,
    ...extra,
  });
  it('counts how far each partner got, including side states, and the drop-off', () => {
    const stages = funnel([
      p('registered'),
      p('link_expired', { emailVerified: true, linkIssued: true }),
      p('connecting', { emailVerified: true, linkIssued: true, linkClaimed: true }),
      p('active', { emailVerified: true, linkIssued: true, linkClaimed: true, connected: true }),
      p('suspended', { emailVerified: true }),
    ]);
    assert.deepEqual(stages.map((s) => s.reached), [5, 4, 3, 2, 1, 1]);
    assert.deepEqual(stages.map((s) => s.droppedBeforeNext), [1, 1, 1, 1, 0, 0]);
    assert.equal(stages[0]!.conversionFromPrevious, null);
    assert.equal(stages[1]!.conversionFromPrevious, 80);
  });
});

describe('console actions by state', () => {
  it('offers only what the state allows', () => {
    assert.deepEqual(availableActions('registered', { signedIn: false, lastSyncFailed: false }), ['resend_verification', 'suspend', 'offboard']);
    assert.deepEqual(availableActions('link_expired', { signedIn: false, lastSyncFailed: false }), ['issue_signup_link', 'suspend', 'offboard']);
    assert.deepEqual(availableActions('sync_failed', { signedIn: true, lastSyncFailed: true }), ['issue_signup_link', 'rerun_preflight', 'restart_sync', 'suspend', 'offboard']);
    assert.deepEqual(availableActions('suspended', { signedIn: true, lastSyncFailed: true }), ['offboard']);
    assert.deepEqual(availableActions('offboarded', { signedIn: true, lastSyncFailed: true }), []);
    assert.deepEqual(availableActions('needs_attention', { signedIn: true, lastSyncFailed: true }), ['rerun_preflight', 'recheck_attention', 'suspend', 'offboard']);
    assert.deepEqual(availableActions('syncing', { signedIn: true, lastSyncFailed: false, running: true }), ['rerun_preflight', 'restart_sync', 'stop_sync', 'suspend', 'offboard']);
    assert.deepEqual(availableActions('syncing', { signedIn: true, lastSyncFailed: false, running: false }), ['rerun_preflight', 'suspend', 'offboard']);
  });
  it('escapes LIKE wildcards typed into search', () => {
    assert.equal(likePattern('50%_off\\'), '%50\\%\\_off\\\\%');
  });
});
