import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueHas } from './queue.ts';

describe('a stored queue against what a job declares', () => {
  const stored = { name: 'q', policy: 'singleton', retryLimit: 3, retryDelay: 60, retryBackoff: false, expireInSeconds: 300, retentionMinutes: 20160, deadLetter: null };
  it('matches when every declared setting is stored as declared', () => {
    assert.equal(queueHas(stored, { policy: 'singleton', retryLimit: 3, retryDelay: 60, expireInSeconds: 300 }), true);
  });
  it('differs on any declared setting, and on the policy a declaration leaves out (standard)', () => {
    assert.equal(queueHas(stored, { policy: 'singleton', retryLimit: 4, retryDelay: 60, expireInSeconds: 300 }), false);
    assert.equal(queueHas(stored, { policy: 'singleton', retryBackoff: true }), false);
    assert.equal(queueHas(stored, { retryLimit: 3 }), false);
    assert.equal(queueHas({ ...stored, policy: 'standard' }, { retryLimit: 3 }), true);
  });
});
