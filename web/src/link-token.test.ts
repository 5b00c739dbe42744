import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readLinkTokenFromHash } from './link-token.ts';

describe('readLinkTokenFromHash', () => {
  const token = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0_-x';

  it('reads a well-formed token from the fragment', () => {
    assert.deepEqual(readLinkTokenFromHash(`#token=${token}`), { kind: 'present', token });
  });

  it('reports a missing token', () => {
    assert.equal(readLinkTokenFromHash('').kind, 'missing');
    assert.equal(readLinkTokenFromHash('#main').kind, 'missing');
  });

  it('reports a cut or altered token as damaged', () => {
    assert.equal(readLinkTokenFromHash(`#token=${token.slice(0, 30)}`).kind, 'damaged');
    assert.equal(readLinkTokenFromHash(`#token=${token}%20`).kind, 'damaged');
  });
});
