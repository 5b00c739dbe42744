import { randomBytes } from 'node:crypto';
import type { OneTimeToken, PartnerState } from '../../db/schema.ts';
import { ForbiddenError } from '../../lib/errors.ts';

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

/**
 * A partner's browser session (bound to the signup link it claimed) ends after this long without
 * use, and this long after the claim whatever happens; afterwards the status link from the email
 * opens the status page again.
 */
export const PARTNER_SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const PARTNER_SESSION_ABSOLUTE_MS = 14 * 24 * 60 * 60 * 1000;
/** Last use is written at most this often (the status stream reads every second). */
export const PARTNER_SESSION_TOUCH_MS = 60 * 1000;

/** Whether the session that claimed this link may still be used. */
export function sessionLive(token: Pick<OneTimeToken, 'claimed_at' | 'session_seen_at' | 'session_ended_at'>, now: Date): boolean {
  if (!token.claimed_at || token.session_ended_at) return false;
  const t = now.getTime();
  if (new Date(token.claimed_at).getTime() + PARTNER_SESSION_ABSOLUTE_MS <= t) return false;
  const seen = new Date(token.session_seen_at ?? token.claimed_at).getTime();
  return seen + PARTNER_SESSION_IDLE_MS > t;
}

/**
 * States in which TotalOne has closed a partner: its browser sessions and status links stop
 * reading at once (checked at every read, whatever the state machine did to links), and its email
 * addresses and tenant domain cannot start a new signup.
 */
/**
 * States in which the primary contact may ask for a reconnect link on the status page: the stored
 * sign-in is refused (sync_failed), or a finding only the partner can fix is open (needs_attention),
 * where signing in again (e.g. as another service account) may be the fix.
 */
export const reconnectableStates: readonly PartnerState[] = ['sync_failed', 'needs_attention'];

export const closedStates: readonly PartnerState[] = ['suspended', 'offboarded'];
export const isClosed = (state: PartnerState): boolean => closedStates.includes(state);
export const accessEnded = () =>
  new ForbiddenError('ACCESS_ENDED', 'TotalOne has closed this signup, so this page no longer shows it. If you think this is a mistake, contact support.');

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
