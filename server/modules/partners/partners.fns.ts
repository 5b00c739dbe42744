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
