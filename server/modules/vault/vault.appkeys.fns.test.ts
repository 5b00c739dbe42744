import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveAppKey, envelopeVersion, legacySealNames, lookupKeyOf, openWith, parseEnvelope, sealKeyOf, sealPurposes, sealWith } from './vault.appkeys.fns.ts';

/** The format releases before the app keyring wrote (v1: no key version), to prove it still opens. */
function legacySeal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

describe('app keyring: keys and envelopes', () => {
  const root = Buffer.alloc(32, 7);

  it('lookup keys derive exactly as before the keyring (HKDF-SHA256 of APP_SECRET, "totalone:<purpose>"): stored hashes stay valid', () => {
    const before = Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'totalone:link-token-hash', 32));
    assert.deepEqual(lookupKeyOf(root, 'link-token-hash'), before);
    assert.notDeepEqual(lookupKeyOf(root, 'link-token-hash'), lookupKeyOf(root, 'session-hash'));
  });

  it('every sealing purpose has its own key per version, never a lookup key', () => {
    const keys = sealPurposes.map((p) => sealKeyOf(root, p).toString('hex'));
    assert.equal(new Set(keys).size, sealPurposes.length);
    assert.notDeepEqual(sealKeyOf(root, 'outbox'), sealKeyOf(Buffer.alloc(32, 8), 'outbox'));
    assert.ok(!keys.includes(deriveAppKey(root, 'outbox-seal').toString('hex')));
  });

  it('an envelope carries its key version and opens only with its key, its version and its context', () => {
    const key = sealKeyOf(root, 'outbox');
    const sealed = sealWith(key, 3, 'the token', 'outbox:1');
    assert.match(sealed, /^v2\.3\./);
    assert.ok(!sealed.includes('the token'));
    assert.equal(envelopeVersion(sealed), 3);
    assert.equal(openWith(key, parseEnvelope(sealed)!, 'outbox:1'), 'the token');
    assert.throws(() => openWith(key, parseEnvelope(sealed)!, 'outbox:2'), 'another row');
    assert.throws(() => openWith(sealKeyOf(root, 'oauth'), parseEnvelope(sealed)!, 'outbox:1'), 'another purpose');
    // Relabelled with another version: the additional data no longer matches.
    assert.throws(() => openWith(key, parseEnvelope(sealed.replace(/^v2\.3\./, 'v2.4.'))!, 'outbox:1'));
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0]! ^= 1;
    assert.throws(() => openWith(key, parseEnvelope([...parts.slice(0, 4), body.toString('base64url')].join('.'))!, 'outbox:1'), 'tampered');
  });

  it('the format before the keyring still opens with its APP_SECRET-derived key (version 0)', () => {
    const legacyKey = deriveAppKey(root, legacySealNames['operator-totp']!);
    const sealed = legacySeal(legacyKey, 'JBSWY3DPEHPK3PXP', 'operator-totp:abc');
    assert.equal(envelopeVersion(sealed), 0);
    assert.equal(openWith(legacyKey, parseEnvelope(sealed)!, 'operator-totp:abc'), 'JBSWY3DPEHPK3PXP');
  });

  it('anything else is not an envelope', () => {
    for (const value of ['', 'v2', 'v2.0.a.b.c', 'v2.x.a.b.c', 'v3.1.a.b.c', 'v1.a.b', 'plain text']) assert.equal(parseEnvelope(value), undefined, value);
  });
});
