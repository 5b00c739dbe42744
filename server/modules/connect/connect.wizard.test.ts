import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretEndFromMicrosoft } from './connect.wizard.ts';

describe('the Partner Center secret\u2019s expiry as Microsoft knows it', () => {
  const secrets = [
    { hint: 'abc', endDateTime: '2028-11-30T10:16:00Z' },
    { hint: 'xyz', endDateTime: '2027-01-01T00:00:00Z' },
    { hint: 'dup', endDateTime: '2027-02-01T00:00:00Z' },
    { hint: 'dup', endDateTime: '2027-03-01T00:00:00Z' },
    { hint: 'nod', endDateTime: null },
  ];
  it('is the end of the one secret with the same first three characters', () => {
    assert.equal(secretEndFromMicrosoft(secrets, 'abcDEF~123'), '2028-11-30');
    assert.equal(secretEndFromMicrosoft(secrets, 'xyz'), '2027-01-01');
  });
  it('is unknown when no secret, several secrets or a secret without an end match', () => {
    assert.equal(secretEndFromMicrosoft(secrets, 'qqqDEF'), undefined);
    assert.equal(secretEndFromMicrosoft(secrets, 'dupDEF'), undefined);
    assert.equal(secretEndFromMicrosoft(secrets, 'nodDEF'), undefined);
    assert.equal(secretEndFromMicrosoft([], 'abcDEF'), undefined);
  });
});
