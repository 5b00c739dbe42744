import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors.ts';

// Pure envelope encryption: no I/O, no key provider. Every record has its own 256-bit data key and
// 96-bit IV; the additional data binds the ciphertext (and the wrapped data key) to its place.

/** The record whose plaintext roots the partner's key chain. */
export const ROOT_FIELD = 'partner_center_web_app_secret';

/** Free text so later issues can add fields; the migration checks the same pattern. */
export const FIELD_PATTERN = /^[a-z][a-z0-9_]{2,62}$/;

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PARTNER_KEY_INFO = 'totalone:vault:partner-key:v1';

/** Where a record lives: the additional data of both its ciphertext and its wrapped data key. */
export interface RecordPlace {
  partnerId: string;
  field: string;
  version: number;
}

export interface EncryptedValue {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
}

/**
 * A stored value failed authentication. Never retried and never answered with a fallback.
 * - `record`: the value (or its wrap under the partner key) was altered or moved to another row,
 *   field or partner. The vault key opened the root, so the key is right: the value is lost.
 * - `vault-key`: the vault key could not unwrap a root record's data key. Most likely the key in use
 *   is not the one it was sealed with (a replaced or restored key file, another Key Vault key); the
 *   credentials are not lost while the right key exists, so nobody is asked to enter them again.
 */
export class VaultIntegrityError extends AppError {
  constructor(readonly origin: 'record' | 'vault-key' = 'record') {
    super(
      500,
      'VAULT_INTEGRITY_FAILED',
      origin === 'vault-key'
        ? 'The vault key could not open a stored credential. The key in use may not be the one it was sealed with (a replaced or restored key file, or another Key Vault key), or the record was changed in the database. Operators: check the vault key first. Do not ask the partner to enter the credential again while the right key may still exist.'
        : 'A stored credential failed its integrity check: it was changed in the database, and the vault key (which opened its root) is the right one, so it cannot be recovered. The partner must enter it again; operators should investigate the database.',
      { origin },
    );
  }
}

export function assertField(field: string): void {
  if (!FIELD_PATTERN.test(field)) throw new Error(`Credential field "${field}" must match ${FIELD_PATTERN}`);
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

/**
 * partner id, field and version, each length-prefixed so no two places share an encoding (a
 * plain join could make "a|b" + "c" equal "a" + "b|c"). `purpose` separates data from key wrapping.
 */
export function additionalData(place: RecordPlace, purpose: 'data' | 'wrap'): Buffer {
  assertField(place.field);
  if (!Number.isInteger(place.version) || place.version < 1) throw new Error('Credential version must be a positive integer');
  const parts = ['totalone-vault-v1', purpose, place.partnerId.toLowerCase(), place.field, String(place.version)];
  return Buffer.concat(parts.map((part) => {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  }));
}

function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): EncryptedValue {
  if (key.length !== DATA_KEY_BYTES) throw new Error('AES-256-GCM needs a 256-bit key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, iv, authTag: cipher.getAuthTag() };
}

function gcmOpen(key: Buffer, value: EncryptedValue, aad: Buffer): Buffer {
  if (key.length !== DATA_KEY_BYTES || value.iv.length !== IV_BYTES || value.authTag.length !== TAG_BYTES) throw new VaultIntegrityError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, value.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(value.authTag);
    return Buffer.concat([decipher.update(value.ciphertext), decipher.final()]);
  } catch {
    throw new VaultIntegrityError();
  }
}

export function encryptValue(dataKey: Buffer, plaintext: string, place: RecordPlace): EncryptedValue {
  return gcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), additionalData(place, 'data'));
}

export function decryptValue(dataKey: Buffer, value: EncryptedValue, place: RecordPlace): string {
  return gcmOpen(dataKey, value, additionalData(place, 'data')).toString('utf8');
}

/**
 * The partner key: HKDF-SHA256 of the Partner Center web app secret, the partner id as salt. It
 * exists only in memory, only after the vault has unwrapped the root record.
 */
export function derivePartnerKey(rootSecret: string, partnerId: string): Buffer {
  if (rootSecret.length === 0) throw new Error('The root secret is empty');
  return Buffer.from(hkdfSync('sha256', Buffer.from(rootSecret, 'utf8'), Buffer.from(partnerId.toLowerCase(), 'utf8'), PARTNER_KEY_INFO, DATA_KEY_BYTES));
}

/** A data key wrapped under the partner key: iv (12) | tag (16) | wrapped key (32), bound to its record. */
export function wrapWithPartnerKey(partnerKey: Buffer, dataKey: Buffer, place: RecordPlace): Buffer {
  const sealed = gcmSeal(partnerKey, dataKey, additionalData(place, 'wrap'));
  return Buffer.concat([sealed.iv, sealed.authTag, sealed.ciphertext]);
}

export function unwrapWithPartnerKey(partnerKey: Buffer, wrapped: Buffer, place: RecordPlace): Buffer {
  if (wrapped.length !== IV_BYTES + TAG_BYTES + DATA_KEY_BYTES) throw new VaultIntegrityError();
  const value = { iv: wrapped.subarray(0, IV_BYTES), authTag: wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES), ciphertext: wrapped.subarray(IV_BYTES + TAG_BYTES) };
  const dataKey = gcmOpen(partnerKey, value, additionalData(place, 'wrap'));
  if (dataKey.length !== DATA_KEY_BYTES) throw new VaultIntegrityError();
  return dataKey;
}

/**
 * What an operator may see of a secret: its first three characters, as Microsoft shows client
 * secrets (`hint`). Only for `*_secret` fields long enough that three characters reveal little;
 * refresh tokens get none.
 */
export function hintFor(field: string, plaintext: string): string | null {
  if (!field.endsWith('_secret') || plaintext.length < 16) return null;
  return plaintext.slice(0, 3);
}
