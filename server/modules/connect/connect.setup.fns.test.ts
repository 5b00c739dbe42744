import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heldSecret, isoDurationDays, STALE_RUN_MS, toSetupRun, type SetupRunRow } from './connect.setup.fns.ts';

const now = new Date('2026-12-02T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

function row(changes: Partial<SetupRunRow> = {}): SetupRunRow {
  return { status: 'running', actions: [{ id: 'policy', title: 'Policy', status: 'unchanged', detail: 'No restriction.' }], refusal: null, app_id: null, started_at: ago(60_000), updated_at: ago(1000), finished_at: null, ...changes };
}

describe('a setup run as the partner sees it', () => {
  it('a running run with recent news is running, with the actions so far', () => {
    const run = toSetupRun(row(), now);
    assert.equal(run.status, 'running');
    assert.equal(run.actions.length, 1);
    assert.equal(run.refusal, undefined);
  });

  it('a running run silent for longer than STALE_RUN_MS was cut off: interrupted, with what to do', () => {
    assert.equal(toSetupRun(row({ updated_at: ago(STALE_RUN_MS) }), now).status, 'running', 'at the limit it still runs');
    const run = toSetupRun(row({ updated_at: ago(STALE_RUN_MS + 1) }), now);
    assert.equal(run.status, 'interrupted');
    assert.match(run.refusal!.fix, /Run the setup again/);
    assert.equal(run.actions.length, 1);
  });

  it('finished runs keep their status however old (actions stored as JSON text too)', () => {
    const run = toSetupRun(row({ status: 'completed', app_id: 'app', updated_at: ago(30 * 86_400_000), finished_at: ago(30 * 86_400_000), actions: '[]' }), now);
    assert.equal(run.status, 'completed');
    assert.equal(run.appId, 'app');
    assert.deepEqual(run.actions, []);
  });
});

describe('the secret TotalOne holds, among the app\u2019s passwordCredentials (by hint)', () => {
  const credential = (hint: string, endDateTime: string | null, keyId = `key-${hint}`) => ({ keyId, hint, endDateTime });
  it('present while a credential with its hint has not ended', () => {
    assert.deepEqual(heldSecret([credential('abc', '2027-06-01T00:00:00Z'), credential('xyz', null)], 'abc', now), { state: 'present', keyId: 'key-abc' });
    assert.deepEqual(heldSecret([credential('xyz', null)], 'xyz', now), { state: 'present', keyId: 'key-xyz' });
  });
  it('missing when it was deleted (no credential with its hint) or nothing is known of it', () => {
    assert.deepEqual(heldSecret([credential('xyz', null)], 'abc', now), { state: 'missing' });
    assert.deepEqual(heldSecret([], 'abc', now), { state: 'missing' });
    assert.deepEqual(heldSecret([credential('abc', null)], null, now), { state: 'missing' });
  });
  it('expired when every credential with its hint has ended', () => {
    assert.deepEqual(heldSecret([credential('abc', '2026-12-01T00:00:00Z')], 'abc', now), { state: 'expired', endDateTime: '2026-12-01T00:00:00Z' });
  });
});

describe('ISO 8601 durations of the app management policy', () => {
  it('reads days, weeks, months and years', () => {
    assert.equal(isoDurationDays('P90D'), 90);
    assert.equal(isoDurationDays('P2W'), 14);
    assert.equal(isoDurationDays('P1Y'), 365);
    assert.equal(isoDurationDays('P6M'), 180);
    assert.equal(isoDurationDays('P1DT48H'), 3);
    assert.equal(isoDurationDays('90 days'), undefined);
  });
});
