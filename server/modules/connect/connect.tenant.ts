import type { DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError } from '../../lib/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ConnectRepo } from './connect.repo.ts';

// One live partner per Microsoft tenant. A partner holds its tenant from the commit of its
// connection until it is offboarded (suspended or reconnecting, it still holds it: its
// credentials are still stored). Another partner entering the same tenant is refused at the Entra
// step and again at the commit; the partial unique index of migration 0047 decides when two
// commits race. The refused partner is told to contact support with its reference; the refusal
// is audited on its timeline with the holder, so support sees both signups in the console.

/** The index that allows one live partner per tenant (migration 0047). */
export const ONE_LIVE_TENANT_INDEX = 'microsoft_connections_one_live_tenant_idx';

export function tenantTaken(reference: string): ConflictError {
  const message =
    'This Microsoft tenant is already connected to TotalOne by another signup, and a tenant can be connected only once. ' +
    `If your company should hold this connection (for example, it was connected under an earlier signup, or your company took over the tenant), contact support at /support with your reference ${reference}: support sees which signup holds the tenant and can release it. ` +
    'If you entered the wrong tenant, enter your own.';
  return new ConflictError('TENANT_ALREADY_CONNECTED', message, { fields: [{ path: 'tenant', message }] });
}

/** The database refused a second live partner for one tenant (a race the checks before could not see). */
export function isTenantTakenViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  return code === '23505' && (constraint === ONE_LIVE_TENANT_INDEX || (typeof message === 'string' && message.includes(ONE_LIVE_TENANT_INDEX)));
}

export function createTenantOwnership(deps: { repo: ConnectRepo; audit: AuditService; clock: Clock }) {
  const { repo, audit } = deps;

  async function refused(db: DbOrTx, partner: { partnerId: string; reference: string }, tenantId: string, step: 'entra_app' | 'commit', ip: string | null, heldBy?: string) {
    const holder = heldBy ?? (await repo.tenantHolder(db, tenantId, partner.partnerId));
    await audit.record(db, { actorType: 'partner', partnerId: partner.partnerId, ip, action: 'connect.tenant_refused', details: { tenantId, step, heldByPartnerId: holder ?? null } });
    return tenantTaken(partner.reference);
  }

  return {
    /** Throws the refusal (and audits it) when another live partner holds the tenant. */
    async refuseIfHeld(db: DbOrTx, partner: { partnerId: string; reference: string }, tenantId: string, step: 'entra_app' | 'commit', ip: string | null): Promise<void> {
      const holder = await repo.tenantHolder(db, tenantId, partner.partnerId);
      if (holder) throw await refused(db, partner, tenantId, step, ip, holder);
    },

    /**
     * Runs a write that may take the tenant; a race lost to another partner's commit becomes the
     * same refusal (audited after the failed transaction), never a 500.
     */
    async guard<T>(db: DbOrTx, partner: { partnerId: string; reference: string }, tenantId: string, step: 'entra_app' | 'commit', ip: string | null, write: () => Promise<T>): Promise<T> {
      try {
        return await write();
      } catch (error) {
        if (!isTenantTakenViolation(error)) throw error;
        throw await refused(db, partner, tenantId, step, ip);
      }
    },

    /** Offboarding: the partner's tenant is free for another partner (in the offboarding transaction). */
    release: (tx: DbOrTx, partnerId: string) => repo.releaseTenant(tx, partnerId, deps.clock.now()),
  };
}

export type TenantOwnership = ReturnType<typeof createTenantOwnership>;
