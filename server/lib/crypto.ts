import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Stateless helpers. Keys come from the app keyring (server/modules/vault/vault.appkeys.ts): it
// derives every application key in one place and is the only code that seals values.

/** 256 bits of randomness, base64url: the form of every link token and session id. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hmacHex(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
