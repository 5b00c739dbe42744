import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hmacHex, randomToken, safeEqual } from './crypto.ts';

describe('crypto helpers', () => {
  it('random tokens are 256-bit base64url and distinct', () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomToken));
    assert.equal(tokens.size, 1000);
    for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  });

  it('HMACs are hex SHA-256, keyed', () => {
    assert.equal(hmacHex(Buffer.alloc(32, 3), 'x').length, 64);
    assert.notEqual(hmacHex(Buffer.alloc(32, 3), 'x'), hmacHex(Buffer.alloc(32, 4), 'x'));
    assert.ok(safeEqual('abc', 'abc'));
    assert.ok(!safeEqual('abc', 'abd'));
    assert.ok(!safeEqual('abc', 'abcd'));
  });
});
