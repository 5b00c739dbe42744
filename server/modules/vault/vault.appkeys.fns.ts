import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Pure parts of the app keyring (vault.appkeys.ts): the one place where every application key is
// derived from its root, and the sealed envelope format. No I/O.
//
// Two roots, both kept in `app_keys` wrapped by the vault key:
// - sealing keys, versioned (1, 2, ...): seal values the app keeps for a while (operator
//   authenticator secrets, link tokens waiting in the outbox, sign-in state, a partner's Entra
//   secret until its vault root exists). `vault:rotate` adds a version; older versions keep opening
//   until retired.
// - the lookup root (one, never rotated): keys HMACs the app looks rows up by (link tokens,
//   sessions, rate-limit subjects) and the status-link signature. A new lookup key would orphan
//   every stored hash, so it stays; it was adopted from APP_SECRET when the keyring was created,
//   which keeps hashes written before the keyring valid.

/** What a sealing key seals. Each purpose has its own key, derived from the version's root key. */
export const sealPurposes = ['outbox', 'oauth', 'setup', 'operator-totp', 'pending-credential'] as const;
export type SealPurpose = (typeof sealPurposes)[number];

/** What a lookup key keys. Named as before the keyring: the derived keys are unchanged. */
export const lookupPurposes = [
  'link-token-hash',
  'session-hash',
  'rate-limit-keys',
  'status-link',
  'oauth-state',
  'offboarding-token-hash',
  'operator-session-hash',
  'operator-invite-hash',
  'operator-sign-in-lockout',
  'setup-session',
] as const;
export type LookupPurpose = (typeof lookupPurposes)[number];

/**
 * Envelopes sealed before the keyring (format v1, no key version) used keys derived straight from
 * APP_SECRET under these names. They keep opening while APP_SECRET is unchanged.
 */
export const legacySealNames: Partial<Record<SealPurpose, string>> = {
  outbox: 'outbox-seal',
  oauth: 'connect-seal',
  setup: 'connect-seal',
  'operator-totp': 'operator-totp-seal',
  'pending-credential': 'connect-seal',
};

export const APP_KEY_BYTES = 32;

/** HKDF-SHA256 with an empty salt and `totalone:<name>` as info: the derivation every app key uses. */
export function deriveAppKey(root: Buffer, name: string): Buffer {
  return Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), `totalone:${name}`, 32));
}

export function lookupKeyOf(lookupRoot: Buffer, purpose: LookupPurpose): Buffer {
  return deriveAppKey(lookupRoot, purpose);
}

export function sealKeyOf(versionRoot: Buffer, purpose: SealPurpose): Buffer {
  return deriveAppKey(versionRoot, `seal:${purpose}`);
}

export function newAppKey(): Buffer {
  return randomBytes(APP_KEY_BYTES);
}

/**
 * AES-256-GCM. Format: `v2.<key version>.<iv>.<tag>.<ciphertext>` (base64url parts). The additional
 * data binds the format, the key version and the caller's context (e.g. the row the value belongs
 * to), so a sealed value cannot be moved to another row or relabelled with another version.
 */
export function sealWith(key: Buffer, version: number, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additionalData(version, context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', String(version), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export type ParsedEnvelope =
  | { format: 'v2'; version: number; iv: Buffer; tag: Buffer; body: Buffer }
  | { format: 'v1'; iv: Buffer; tag: Buffer; body: Buffer };

/** The envelope's parts, or undefined for anything that is not a sealed value. */
export function parseEnvelope(sealed: string): ParsedEnvelope | undefined {
  const parts = sealed.split('.');
  if (parts[0] === 'v2' && parts.length === 5 && /^[1-9][0-9]{0,8}$/.test(parts[1]!)) {
    return { format: 'v2', version: Number(parts[1]), iv: b64(parts[2]!), tag: b64(parts[3]!), body: b64(parts[4]!) };
  }
  if (parts[0] === 'v1' && parts.length === 4) return { format: 'v1', iv: b64(parts[1]!), tag: b64(parts[2]!), body: b64(parts[3]!) };
  return undefined;
}

/** The key version a sealed value needs (0 for the format before the keyring), or undefined. */
export function envelopeVersion(sealed: string): number | undefined {
  const parsed = parseEnvelope(sealed);
  if (!parsed) return undefined;
  return parsed.format === 'v2' ? parsed.version : 0;
}

/** Opens a parsed envelope with its key; throws when it fails authentication. */
export function openWith(key: Buffer, envelope: ParsedEnvelope, context: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, envelope.iv);
  decipher.setAAD(envelope.format === 'v2' ? additionalData(envelope.version, context) : Buffer.from(context));
  decipher.setAuthTag(envelope.tag);
  return Buffer.concat([decipher.update(envelope.body), decipher.final()]).toString('utf8');
}

function additionalData(version: number, context: string): Buffer {
  return Buffer.from(`totalone-sealed:v2:${version}:${context}`);
}

function b64(part: string): Buffer {
  return Buffer.from(part, 'base64url');
}
