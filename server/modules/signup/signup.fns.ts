import { randomBytes } from 'node:crypto';
import type { OneTimeToken } from '../../db/schema.ts';

// Pure rules for one-time links and signup references.

export type LinkStatus = 'open' | 'claimed' | 'spent' | 'revoked' | 'expired';

/** Why a stored link cannot be used now, in order of precedence (revoked beats expired, etc.). */
export function linkStatus(token: Pick<OneTimeToken, 'revoked_at' | 'spent_at' | 'expires_at' | 'claimed_at'>, now: Date): LinkStatus {
  if (token.revoked_at) return 'revoked';
  if (token.spent_at) return 'spent';
  if (new Date(token.expires_at).getTime() <= now.getTime()) return 'expired';
  if (token.claimed_at) return 'claimed';
  return 'open';
}

// Crockford's base32 without I, L, O, U: easy to read out on the phone to support.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomGroup(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % 32];
  return out;
}

/** A short reference a partner can quote to support, e.g. TO-7K3M-9QXD. */
export function newPartnerReference(): string {
  return `TO-${randomGroup(4)}-${randomGroup(4)}`;
}

export function newSupportReference(): string {
  return `SR-${randomGroup(6)}`;
}

/** Shows enough of an address to recognise it without revealing it whole: j***@contoso.com. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}
