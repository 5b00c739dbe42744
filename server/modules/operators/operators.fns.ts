// Pure helpers of the operator console: password policy, the scrubbing of audit details before they
// are shown, the signup funnel and the actions a partner's state allows. No I/O.

import type { PartnerState } from '../../db/schema.ts';

export const PASSWORD_MIN_LENGTH = 12;

/** The most used passwords of 12+ characters (breach corpora) and obvious variants. */
const commonPasswords = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789012345',
  '1234567890qwerty',
  'qwertyuiop12',
  'qwertyuiop123',
  'qwertyuiopasdf',
  'qwerty123456',
  'qwerty1234567',
  'password1234',
  'password12345',
  'password123456',
  'password!234',
  'passw0rd1234',
  'p@ssw0rd1234',
  'p@ssword1234',
  'passwordpassword',
  'iloveyou1234',
  'abc123456789',
  'abcdefghijkl',
  'abcd1234abcd',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  '1qaz2wsx3edc4rfv',
  'zaq12wsxcde3',
  'asdfghjkl123',
  'asdfghjkl;\'',
  'administrator',
  'administrator1',
  'admin1234567',
  'welcome12345',
  'welcome123456',
  'letmein12345',
  'changeme1234',
  'sunshine1234',
  'football1234',
  'baseball1234',
  'princess1234',
  'trustno1trustno1',
  'totalone1234',
  'totalonepassword',
  'microsoft123',
  'microsoft1234',
  'correcthorsebatterystaple',
]);

/** Problems with a chosen password, in words for the person choosing it; empty when acceptable. */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  if ([...password].length < PASSWORD_MIN_LENGTH) problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words make a strong, memorable password.`);
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower) || /^(.)\1+$/.test(password) || /^(0123456789|1234567890)+\d*$/.test(password)) {
    problems.push('This password is among the most common ones and is guessed first. Choose another.');
  }
  const address = email.toLowerCase();
  const localPart = address.split('@')[0] ?? '';
  if (lower.includes(address) || (localPart.length >= 4 && lower.includes(localPart))) {
    problems.push('The password must not contain your email address or its name part.');
  }
  return problems;
}

// --- what operators may see of audit details ------------------------------------------------

const sensitiveKey = /(token|secret|password|hash|cipher|sealed|verifier|nonce|credential|key$|^code$|authorization|cookie)/i;
/** Long unbroken base64/base64url/hex runs or JWT-shaped strings: treated as secrets whatever their key. */
const secretLooking = /(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|[A-Za-z0-9+/_=-]{40,}|[0-9a-f]{40,})/;

/**
 * Audit details must never hold a secret (the audit writer's rule); this is the second line: keys
 * that name a secret are dropped and secret-looking strings are masked before an operator sees them.
 */
export function scrubDetails(value: unknown, depth = 0): unknown {
  if (depth > 4) return '[nested]';
  if (typeof value === 'string') return secretLooking.test(value) && !isUuidOrDate(value) ? '[hidden]' : value.slice(0, 500);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrubDetails(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (sensitiveKey.test(key)) continue;
      out[key] = scrubDetails(inner, depth + 1);
    }
    return out;
  }
  return value;
}

function isUuidOrDate(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) || !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value);
}

export function scrubRecord(value: unknown): Record<string, unknown> {
  const scrubbed = scrubDetails(value);
  return scrubbed && typeof scrubbed === 'object' && !Array.isArray(scrubbed) ? (scrubbed as Record<string, unknown>) : {};
}

// --- funnel ---------------------------------------------------------------------------------

export const funnelStages = [
  { stage: 'registered', label: 'Signed up' },
  { stage: 'email_verified', label: 'Email confirmed' },
  { stage: 'link_sent', label: 'Signup link sent' },
  { stage: 'connecting', label: 'Link opened (connecting)' },
  { stage: 'connected', label: 'Microsoft tenant connected' },
  { stage: 'active', label: 'Customers imported (active)' },
] as const;

/** How far one partner got: the index of the last funnel stage it reached. */
export interface FunnelEvidence {
  state: PartnerState;
  emailVerified: boolean;
  linkIssued: boolean;
  linkClaimed: boolean;
  connected: boolean;
  /** How many partners share this evidence (grouped rows); 1 when absent. */
  count?: number;
}

export function furthestStage(p: FunnelEvidence): number {
  if (p.state === 'active') return 5;
  if (p.connected || p.state === 'connected' || p.state === 'syncing' || p.state === 'sync_failed') return 4;
  if (p.linkClaimed || p.state === 'connecting') return 3;
  if (p.linkIssued || p.state === 'link_sent' || p.state === 'link_expired') return 2;
  if (p.emailVerified || p.state === 'email_verified') return 1;
  return 0;
}

export function funnel(partners: FunnelEvidence[]) {
  const reached = funnelStages.map(() => 0);
  for (const p of partners) {
    const furthest = furthestStage(p);
    for (let i = 0; i <= furthest; i++) reached[i]! += p.count ?? 1;
  }
  return funnelStages.map((s, i) => ({
    stage: s.stage,
    label: s.label,
    reached: reached[i]!,
    droppedBeforeNext: i + 1 < reached.length ? reached[i]! - reached[i + 1]! : 0,
    conversionFromPrevious: i === 0 ? null : reached[i - 1]! === 0 ? null : Math.round((reached[i]! / reached[i - 1]!) * 1000) / 10,
  }));
}

// --- actions --------------------------------------------------------------------------------

export type ConsoleAction = 'resend_verification' | 'issue_signup_link' | 'rerun_preflight' | 'restart_sync' | 'stop_sync' | 'recheck_attention' | 'suspend' | 'offboard';

/** States in which a new signup link may be issued (the signup service moves them to link_sent). */
// sync_failed: a reconnect link (the partner signs in to Microsoft again; its apps are kept).
export const linkIssuableStates: PartnerState[] = ['email_verified', 'link_sent', 'connecting', 'link_expired', 'sync_failed'];

/** `running`: an import run is in progress (support may restart it: the run ends, a new one starts). */
export function availableActions(state: PartnerState, facts: { signedIn: boolean; lastSyncFailed: boolean; running?: boolean }): ConsoleAction[] {
  const actions: ConsoleAction[] = [];
  if (state === 'registered') actions.push('resend_verification');
  if (linkIssuableStates.includes(state)) actions.push('issue_signup_link');
  if (facts.signedIn && state !== 'suspended' && state !== 'offboarded') actions.push('rerun_preflight');
  if (state === 'sync_failed' || ((facts.lastSyncFailed || facts.running) && (state === 'connected' || state === 'syncing' || state === 'active'))) actions.push('restart_sync');
  if (facts.running && (state === 'connected' || state === 'syncing' || state === 'active')) actions.push('stop_sync');
  if (state === 'needs_attention') actions.push('recheck_attention');
  if (state !== 'suspended' && state !== 'offboarded') actions.push('suspend');
  if (state !== 'offboarded') actions.push('offboard');
  return actions;
}

/** `%` and `_` typed into a search box are characters, not wildcards. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
