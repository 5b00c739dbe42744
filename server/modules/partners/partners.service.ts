import type { DbOrTx } from '../../db/database.ts';
import type { PartnerState } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import type { AuditEvent, AuditService } from '../audit/audit.service.ts';
import type { PartnersRepo } from './partners.repo.ts';
import { partnerTransitions, transitionNames, type TransitionName } from './partners.transitions.ts';

// The one owner of `partners.state`. Each named transition (partners.transitions.ts) locks the
// partner's row, checks the table, updates conditionally and writes its audit event, all in the
// caller's transaction. A partner that is not where the caller thinks is refused with a 409
// (PARTNER_STATE_CONFLICT), so a lost race never passes silently.

export interface TransitionOptions {
  actor?: { type: AuditEvent['actorType']; id?: string | null; ip?: string | null };
  /** Goes into the audit event (never a secret). */
  details?: Record<string, unknown>;
  /**
   * States in which the call is a no-op instead of a conflict (returns false), e.g. a daily
   * re-import of an active partner never "starts syncing".
   */
  unlessIn?: readonly PartnerState[];
}

export type PartnerTransitionFn = (tx: DbOrTx, partnerId: string, options?: TransitionOptions) => Promise<boolean>;

export class PartnerStateConflict extends ConflictError {
  constructor(name: TransitionName, state: PartnerState) {
    const t = partnerTransitions[name];
    super('PARTNER_STATE_CONFLICT', `${t.doing} is not possible while the partner is in the state "${state}". Reload the page to see what can be done now.`, {
      transition: name,
      state,
      allowedFrom: [...t.from],
    });
  }
}

export function createPartnerLifecycle(deps: { repo: PartnersRepo; audit: AuditService; clock: Clock }) {
  const { repo, audit, clock } = deps;

  async function apply(name: TransitionName, tx: DbOrTx, partnerId: string, options: TransitionOptions = {}): Promise<boolean> {
    const t = partnerTransitions[name];
    const state = await repo.lockState(tx, partnerId);
    if (!state) throw new NotFoundError('PARTNER_NOT_FOUND', 'There is no partner with this ID.');
    if (options.unlessIn?.includes(state)) return false;
    if (!(t.from as readonly PartnerState[]).includes(state)) throw new PartnerStateConflict(name, state);
    const now = clock.now();
    const moved = await repo.updateState(tx, partnerId, t.from, t.to, now, name === 'markEmailVerified' ? { email_verified_at: now } : {});
    if (!moved) throw new PartnerStateConflict(name, state);
    await audit.record(tx, {
      actorType: options.actor?.type ?? 'system',
      actorId: options.actor?.id ?? null,
      ip: options.actor?.ip ?? null,
      partnerId,
      action: 'partner.state_changed',
      details: { transition: name, from: state, to: t.to, ...options.details },
    });
    return true;
  }

  const named = Object.fromEntries(transitionNames.map((name) => [name, (tx: DbOrTx, partnerId: string, options?: TransitionOptions) => apply(name, tx, partnerId, options)])) as Record<
    TransitionName,
    PartnerTransitionFn
  >;

  return {
    ...named,
    /** The partner's current state, its row locked for the rest of the transaction. */
    lockState: (tx: DbOrTx, partnerId: string) => repo.lockState(tx, partnerId),
  };
}

export type PartnerLifecycle = ReturnType<typeof createPartnerLifecycle>;
