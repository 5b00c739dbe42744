import { partnerStates, type PartnerState } from '../../../contracts/partner-states.ts';

// The partner lifecycle as a table: every state change a partner can make, by name. Nothing else
// writes `partners.state`: the lifecycle service (partners.service.ts) applies these, each with a
// conditional update and its audit event. docs/ARCHITECTURE.md draws the same table as a diagram;
// partners.transitions.test.ts reads the diagram and fails when the two disagree.

export interface Transition {
  from: readonly PartnerState[];
  to: PartnerState;
  /** What the caller tried to do, for the conflict message ("Confirming the email is not possible ..."). */
  doing: string;
}

const everyStateBut = (...excluded: PartnerState[]) => partnerStates.filter((s) => !excluded.includes(s));

export const partnerTransitions = {
  /** The primary contact confirmed the email address. */
  markEmailVerified: { from: ['registered'], to: 'email_verified', doing: 'Confirming the email' },
  /** A (new) signup link was emailed; from sync_failed or needs_attention it is the reconnect link. */
  markLinkSent: { from: ['email_verified', 'link_sent', 'connecting', 'link_expired', 'sync_failed', 'needs_attention'], to: 'link_sent', doing: 'Sending a signup link' },
  /** A browser claimed the signup link and works through the wizard. */
  markConnecting: { from: ['link_sent', 'link_expired'], to: 'connecting', doing: 'Starting the connection' },
  /** The latest signup link ran out unused. */
  markLinkExpired: { from: ['link_sent', 'connecting'], to: 'link_expired', doing: 'Expiring the signup link' },
  /** The wizard committed: credentials stored, the first import queued. */
  markConnected: { from: ['connecting', 'link_sent', 'link_expired'], to: 'connected', doing: 'Completing the connection' },
  /** The first import started. */
  markSyncing: { from: ['connected'], to: 'syncing', doing: 'Starting the customer import' },
  /** An import completed: the tenant is ready. */
  markActive: { from: ['connected', 'syncing'], to: 'active', doing: 'Completing the customer import' },
  /** Microsoft no longer accepts the stored sign-in: only a reconnect (new sign-in) helps. */
  markSyncFailed: { from: ['connected', 'syncing', 'active'], to: 'sync_failed', doing: 'Stopping the import for a reconnect' },
  /** A check or the import found something only the partner can fix in Microsoft; the finding says what. */
  markNeedsAttention: { from: ['connected', 'syncing', 'active'], to: 'needs_attention', doing: 'Asking the partner to fix a finding' },
  /** The finding is fixed (check again, or support re-ran it): the import resumes. */
  clearAttention: { from: ['needs_attention'], to: 'connected', doing: 'Resuming after the fix' },
  /** Support stopped the first import in progress: connected again, the import waits to be restarted. */
  stopImport: { from: ['syncing'], to: 'connected', doing: 'Stopping the customer import' },
  /** Support restarts the import after a failure. */
  retrySync: { from: ['sync_failed'], to: 'connected', doing: 'Restarting the customer import' },
  /** An operator stops the partner: every link stops working. */
  suspend: { from: everyStateBut('suspended', 'offboarded'), to: 'suspended', doing: 'Suspending' },
  /** The partner leaves: syncs stop, its credentials are destroyed, its data is deleted after the retention period. Final. */
  offboard: { from: everyStateBut('offboarded'), to: 'offboarded', doing: 'Offboarding' },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof partnerTransitions;
export const transitionNames = Object.keys(partnerTransitions) as TransitionName[];

/** The state every partner starts in (signup). */
export const initialPartnerState: PartnerState = 'registered';

/** Whether `name` may start from `state`. */
export function allows(name: TransitionName, state: PartnerState): boolean {
  return (partnerTransitions[name].from as readonly PartnerState[]).includes(state);
}

/** Every edge of the table, one per from-state: [from, to, transition]. */
export function transitionEdges(): Array<[PartnerState, PartnerState, TransitionName]> {
  return transitionNames.flatMap((name) => partnerTransitions[name].from.map((from) => [from, partnerTransitions[name].to, name] as [PartnerState, PartnerState, TransitionName]));
}

/** States the import may run in. */
export const syncableStates: readonly PartnerState[] = ['connected', 'syncing', 'active'];
