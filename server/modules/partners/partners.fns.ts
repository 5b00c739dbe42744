import type { Failure } from '../microsoft/microsoft.failures.ts';

// What a failed import leads to, from the classifier's verdict.

/**
 * - `reconnect`: the stored sign-in is gone; the partner signs in again (state sync_failed, the
 *   reconnect email, the finding for the status page and the escalation).
 * - `needs_attention`: the partner fixes something in Microsoft (state needs_attention, the
 *   finding and its emails); "Check again" resumes.
 * - `retry`: transient, or for TotalOne's operators: the job retries with backoff.
 * Neither of the first two is retried: retrying cannot help.
 */
export type SyncFailureOutcome = 'reconnect' | 'needs_attention' | 'retry';

export function syncFailureOutcome(failure: Pick<Failure, 'kind' | 'then'>): SyncFailureOutcome {
  if (failure.kind !== 'partner_action') return 'retry';
  return failure.then === 'sign_in_again' ? 'reconnect' : 'needs_attention';
}

const DAY_MS = 86_400_000;

/** Days before a secret's end at which its reminder goes out (each once). */
export const REMINDER_DAYS = [60, 30, 14, 7, 1] as const;
/** From this reminder on, the secondary contact gets it too. */
export const SECONDARY_FROM_DAYS = 14;

export type ReminderDue = { kind: 'expired' } | { kind: 'reminder'; threshold: (typeof REMINDER_DAYS)[number]; daysLeft: number; toSecondary: boolean } | { kind: 'none' };

/**
 * What a secret ending at `endsAt` needs today: the reminder of the smallest threshold reached
 * (a job that did not run for a while sends the most urgent one, not every one it missed), or
 * "expired". `daysLeft` counts started days: 59 days and 2 hours is 60.
 */
export function dueReminder(endsAt: Date, now: Date): ReminderDue {
  const msLeft = endsAt.getTime() - now.getTime();
  if (msLeft <= 0) return { kind: 'expired' };
  const daysLeft = Math.ceil(msLeft / DAY_MS);
  const threshold = [...REMINDER_DAYS].reverse().find((t) => daysLeft <= t);
  if (threshold === undefined) return { kind: 'none' };
  return { kind: 'reminder', threshold, daysLeft, toSecondary: threshold <= SECONDARY_FROM_DAYS };
}

/**
 * The app's secret that is the one the partner entered: Graph shows only the first three
 * characters (`hint`). Several may share them: the one that ends first is the one to warn about.
 */
export function matchSecret(credentials: ReadonlyArray<{ keyId: string; hint: string | null; endDateTime: string | null }>, hint: string | null): { keyId: string; endsAt: Date | null } | undefined {
  if (!hint || hint.length < 3) return undefined;
  const matches = credentials.filter((c) => c.hint === hint);
  if (matches.length === 0) return undefined;
  const sorted = [...matches].sort((a, b) => (a.endDateTime === null ? 1 : b.endDateTime === null ? -1 : Date.parse(a.endDateTime) - Date.parse(b.endDateTime)));
  const first = sorted[0]!;
  return { keyId: first.keyId, endsAt: first.endDateTime ? new Date(first.endDateTime) : null };
}

/** One check of a preflight run, as the drift check reads it. */
export interface CheckResult {
  id: string;
  title: string;
  status: 'passed' | 'failed' | 'warning' | 'unknown';
  required: boolean;
  found: string;
  fix?: string;
}

/** What changed between two runs of the checks: every check whose status is not the same. */
export function driftChanges(before: readonly CheckResult[] | undefined, after: readonly CheckResult[]): Array<{ id: string; from: CheckResult['status'] | null; to: CheckResult['status'] }> {
  const previous = new Map((before ?? []).map((c) => [c.id, c.status]));
  return after.filter((c) => previous.get(c.id) !== c.status).map((c) => ({ id: c.id, from: previous.get(c.id) ?? null, to: c.status }));
}

/** The first required check that failed, as a finding the partner can fix ("Check again" afterwards). */
export function firstRequiredFailure(checks: readonly CheckResult[]): Failure | undefined {
  const failed = checks.find((c) => c.required && c.status === 'failed');
  if (!failed) return undefined;
  return { kind: 'partner_action', code: `CHECK_${failed.id}`, problem: `${failed.title}: ${failed.found}`, fix: failed.fix ?? 'See the check on your status page.', then: 'check_again' };
}
