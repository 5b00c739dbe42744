import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveKey, hmacHex, randomToken, seal, unseal } from './crypto.ts';

describe('crypto helpers', () => {
  it('random tokens are 256-bit base64url and distinct', () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomToken));
    assert.equal(tokens.size, 1000);
    for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  });

  it('derived keys differ per purpose and are stable', () => {
    const secret = Buffer.alloc(32, 3);
    assert.notDeepEqual(deriveKey(secret, 'a'), deriveKey(secret, 'b'));
    assert.deepEqual(deriveKey(secret, 'a'), deriveKey(secret, 'a'));
    assert.equal(hmacHex(deriveKey(secret, 'a'), 'x').length, 64);
  });

  it('sealed values open only with the same key and context, and detect tampering', () => {
    const key = Buffer.alloc(32, 9);
    const sealed = seal(key, 'the token', 'outbox:1');
    assert.ok(!sealed.includes('the token'));
    assert.equal(unseal(key, sealed, 'outbox:1'), 'the token');
    assert.throws(() => unseal(key, sealed, 'outbox:2'));
    assert.throws(() => unseal(Buffer.alloc(32, 8), sealed, 'outbox:1'));
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0]! ^= 1;
    assert.throws(() => unseal(key, [parts[0], parts[1], parts[2], body.toString('base64url')].join('.'), 'outbox:1'));
  });
});
