import type { Db, DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';

// The append-only audit log. Every state change writes its event inside the same transaction, so
// the log and the data never disagree. Details must never hold a secret or a token.

export interface AuditEvent {
  actorType: 'partner' | 'operator' | 'system' | 'anonymous';
  actorId?: string | null;
  partnerId?: string | null;
  action: string;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export function createAuditService(deps: { db: Db; clock: Clock }) {
  return {
    async record(tx: DbOrTx, event: AuditEvent): Promise<void> {
      await tx
        .insertInto('audit_events')
        .values({
          occurred_at: deps.clock.now(),
          actor_type: event.actorType,
          actor_id: event.actorId ?? null,
          partner_id: event.partnerId ?? null,
          action: event.action,
          details: JSON.stringify(event.details ?? {}),
          ip: event.ip ?? null,
        })
        .execute();
    },

    async forPartner(partnerId: string) {
      return deps.db
        .selectFrom('audit_events')
        .select(['id', 'occurred_at', 'actor_type', 'actor_id', 'action', 'details'])
        .where('partner_id', '=', partnerId)
        .orderBy('id')
        .execute();
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
