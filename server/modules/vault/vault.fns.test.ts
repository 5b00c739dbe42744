import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  additionalData,
  decryptValue,
  derivePartnerKey,
  encryptValue,
  hintFor,
  newDataKey,
  unwrapWithPartnerKey,
  VaultIntegrityError,
  wrapWithPartnerKey,
  type EncryptedValue,
} from './vault.fns.ts';

const partnerId = randomUUID();
const place = { partnerId, field: 'entra_client_secret', version: 1 };
const secret = 'Abc8Q~x2N-very-secret-value-0123456789';

function flipBit(buffer: Buffer, index = 0): Buffer {
  const copy = Buffer.from(buffer);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe('vault envelope functions', () => {
  it('round trips a value and uses a fresh IV every time', () => {
    const key = newDataKey();
    const a = encryptValue(key, secret, place);
    const b = encryptValue(key, secret, place);
    assert.equal(decryptValue(key, a, place), secret);
    assert.equal(a.iv.length, 12);
    assert.equal(a.authTag.length, 16);
    assert.notDeepEqual(a.iv, b.iv);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.ok(!a.ciphertext.includes(Buffer.from(secret)));
  });

  it('fails when the value is opened at another place (partner, field or version)', () => {
    const key = newDataKey();
    const sealed = encryptValue(key, secret, place);
    for (const other of [
      { ...place, partnerId: randomUUID() },
      { ...place, field: 'graph_refresh_token' },
      { ...place, version: 2 },
    ]) {
      assert.throws(() => decryptValue(key, sealed, other), VaultIntegrityError);
    }
  });

  it('fails when one bit of the ciphertext, tag or IV flips', () => {
    const key = newDataKey();
    const sealed = encryptValue(key, secret, place);
    const variants: EncryptedValue[] = [
      { ...sealed, ciphertext: flipBit(sealed.ciphertext, 5) },
      { ...sealed, authTag: flipBit(sealed.authTag, 15) },
      { ...sealed, iv: flipBit(sealed.iv, 11) },
      { ...sealed, authTag: sealed.authTag.subarray(0, 12) },
    ];
    for (const variant of variants) assert.throws(() => decryptValue(key, variant, place), VaultIntegrityError);
  });

  it('fails with another data key', () => {
    const sealed = encryptValue(newDataKey(), secret, place);
    assert.throws(() => decryptValue(newDataKey(), sealed, place), VaultIntegrityError);
  });

  it('additional data is unambiguous (length-prefixed parts)', () => {
    const a = additionalData({ partnerId: 'p', field: 'abc_def', version: 1 }, 'data');
    const b = additionalData({ partnerId: 'p', field: 'abc_def', version: 11 }, 'data');
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(additionalData(place, 'data'), additionalData(place, 'wrap'));
    assert.throws(() => additionalData({ ...place, field: 'Bad Field' }, 'data'));
    assert.throws(() => additionalData({ ...place, version: 0 }, 'data'));
  });

  it('the partner key depends on the root secret and the partner', () => {
    const key = derivePartnerKey(secret, partnerId);
    assert.equal(key.length, 32);
    assert.deepEqual(derivePartnerKey(secret, partnerId.toUpperCase()), key);
    assert.notDeepEqual(derivePartnerKey(secret, randomUUID()), key);
    assert.notDeepEqual(derivePartnerKey(`${secret}x`, partnerId), key);
  });

  it('a data key wrapped under the partner key opens only with that key and at that place', () => {
    const partnerKey = derivePartnerKey(secret, partnerId);
    const dataKey = newDataKey();
    const wrapped = wrapWithPartnerKey(partnerKey, dataKey, place);
    assert.equal(wrapped.length, 60);
    assert.deepEqual(unwrapWithPartnerKey(partnerKey, wrapped, place), dataKey);
    assert.throws(() => unwrapWithPartnerKey(derivePartnerKey('another secret', partnerId), wrapped, place), VaultIntegrityError);
    assert.throws(() => unwrapWithPartnerKey(partnerKey, wrapped, { ...place, field: 'graph_refresh_token' }), VaultIntegrityError);
    assert.throws(() => unwrapWithPartnerKey(partnerKey, flipBit(wrapped, 40), place), VaultIntegrityError);
    assert.throws(() => unwrapWithPartnerKey(partnerKey, wrapped.subarray(1), place), VaultIntegrityError);
  });

  it('hints show three characters of long secrets only', () => {
    assert.equal(hintFor('entra_client_secret', secret), 'Abc');
    assert.equal(hintFor('partner_center_web_app_secret', 'short'), null);
    assert.equal(hintFor('graph_refresh_token', secret), null);
  });
});
