// Deterministic identifiers: every id in a built-in scenario derives from a seed, so the CLI,
// tests and a partner evaluating the product see the same GUIDs on every run.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A GUID (version-4 layout) derived from the given parts. */
export function stableGuid(...parts: Array<string | number>): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Bytes derived from the given parts (for secrets and TOTP keys in built-in scenarios). */
export function stableBytes(length: number, ...parts: Array<string | number>): Buffer {
  const out: Buffer[] = [];
  let counter = 0;
  while (Buffer.concat(out).length < length) {
    out.push(createHash('sha256').update([...parts, counter++].join('\u0000')).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

const secretAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~';

/**
 * A client secret value in the format Entra produces today: 40 characters with "Q~" at
 * positions 4-5 (the first three are the hint Graph shows, the fourth a version digit).
 */
export function clientSecretValue(bytes: Buffer = randomBytes(40)): string {
  const chars = [...bytes].map((b) => secretAlphabet[b % secretAlphabet.length]);
  return `${chars.slice(0, 3).join('').replace(/[~.]/g, 'x')}8Q~${chars.slice(6, 40).join('')}`;
}

export function newGuid(): string {
  return randomUUID();
}

export function opaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
