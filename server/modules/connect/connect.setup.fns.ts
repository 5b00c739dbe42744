// Pure parts of "Set up Microsoft for me": what a run looks like to the partner, when a running run
// is given up, how long a client secret may live, and whether the secret TotalOne holds is still
// one of the app's.

export type SetupActionStatus = 'done' | 'unchanged' | 'skipped' | 'failed';

export interface SetupAction {
  id: string;
  title: string;
  status: SetupActionStatus;
  detail: string;
  /** How to reverse this change by hand; present when something was changed. */
  undo?: string;
}

export type SetupRunStatus = 'running' | 'completed' | 'refused' | 'interrupted';

/** A run as the partner sees it (and as the audit trail keeps it when it ends). */
export interface SetupRun {
  at: string;
  status: SetupRunStatus;
  finishedAt?: string;
  refusal?: { message: string; fix: string };
  actions: SetupAction[];
  appId?: string;
}

/**
 * A running run that has written nothing for this long was cut off (its server stopped or
 * crashed): every Graph call gives up well before (timeouts and retries), and each action is
 * written as soon as it is done.
 */
export const STALE_RUN_MS = 5 * 60_000;

/** What the partner reads when a run was cut off. */
export const INTERRUPTED = {
  message: 'The setup was interrupted before it finished (TotalOne\u2019s server stopped while it ran). The actions listed were done.',
  fix: 'Run the setup again: what was already done is found and not repeated.',
} as const;

export interface SetupRunRow {
  status: SetupRunStatus;
  actions: unknown;
  refusal: { message: string; fix: string } | null;
  app_id: string | null;
  started_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** The partner's view of a stored run: a running run without news for STALE_RUN_MS shows as interrupted. */
export function toSetupRun(row: SetupRunRow, now: Date): SetupRun {
  const stale = row.status === 'running' && now.getTime() - new Date(row.updated_at).getTime() > STALE_RUN_MS;
  const status: SetupRunStatus = stale ? 'interrupted' : row.status;
  const actions = (typeof row.actions === 'string' ? JSON.parse(row.actions) : row.actions) as SetupAction[];
  const refusal = status === 'interrupted' ? { ...INTERRUPTED } : row.refusal ?? undefined;
  return {
    at: iso(row.started_at),
    status,
    ...(row.finished_at ? { finishedAt: iso(row.finished_at) } : {}),
    ...(refusal ? { refusal } : {}),
    actions,
    ...(row.app_id ? { appId: row.app_id } : {}),
  };
}

/** Days of an ISO 8601 duration such as P90D or P1Y (years as 365 days, months as 30). */
export function isoDurationDays(value: string): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?/.exec(value);
  if (!m || value === 'P') return undefined;
  const [, y, mo, w, d, h] = m.map((v) => Number(v ?? 0));
  return y! * 365 + mo! * 30 + w! * 7 + d! + Math.floor(h! / 24);
}

export interface PasswordCredentialInfo {
  keyId: string;
  hint: string | null;
  endDateTime: string | null;
}

/**
 * Whether the secret TotalOne holds (known by its first three characters, the `hint` Graph shows)
 * is still one of the app's client secrets and not expired. When it was deleted in Entra (or has
 * ended), the setup creates a new one instead of answering that nothing needs changing.
 */
export function heldSecret(credentials: readonly PasswordCredentialInfo[], hint: string | null, now: Date): { state: 'present'; keyId: string } | { state: 'missing' } | { state: 'expired'; endDateTime: string } {
  if (!hint || hint.length < 3) return { state: 'missing' };
  const matches = credentials.filter((c) => c.hint === hint);
  if (matches.length === 0) return { state: 'missing' };
  const live = matches.find((c) => c.endDateTime === null || Date.parse(c.endDateTime) > now.getTime());
  if (live) return { state: 'present', keyId: live.keyId };
  return { state: 'expired', endDateTime: matches[0]!.endDateTime! };
}
