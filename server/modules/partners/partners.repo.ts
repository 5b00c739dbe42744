import type { DbOrTx } from '../../db/database.ts';
import type { PartnerAttention, PartnerAttentionTable, PartnerState } from '../../db/schema.ts';
import type { Insertable } from 'kysely';

export function createPartnersRepo() {
  return {
    /** The partner's state, its row locked until the transaction ends. */
    async lockState(tx: DbOrTx, partnerId: string): Promise<PartnerState | undefined> {
      const row = await tx.selectFrom('partners').select('state').where('id', '=', partnerId).forUpdate().executeTakeFirst();
      return row?.state;
    },

    /** Moves the partner only if it is in one of `from`; returns whether it moved. */
    async updateState(tx: DbOrTx, partnerId: string, from: readonly PartnerState[], to: PartnerState, now: Date, extra: { email_verified_at?: Date } = {}): Promise<boolean> {
      const result = await tx
        .updateTable('partners')
        .set({ state: to, updated_at: now, ...extra })
        .where('id', '=', partnerId)
        .where('state', 'in', [...from])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async partnerSummary(db: DbOrTx, partnerId: string) {
      const partner = await db.selectFrom('partners').select(['id', 'reference', 'legal_name', 'state']).where('id', '=', partnerId).executeTakeFirst();
      if (!partner) return undefined;
      const contacts = await db.selectFrom('contacts').select(['role', 'first_name', 'last_name', 'email']).where('partner_id', '=', partnerId).execute();
      return { ...partner, primary: contacts.find((c) => c.role === 'primary'), secondary: contacts.find((c) => c.role === 'secondary') };
    },

    /** Inserts the finding unless one is open already; returns the open one either way (and whether it is new). */
    async openAttention(tx: DbOrTx, row: Insertable<PartnerAttentionTable>): Promise<{ finding: PartnerAttention; created: boolean }> {
      const inserted = await tx
        .insertInto('partner_attention')
        .values(row)
        .onConflict((oc) => oc.column('partner_id').where('resolved_at', 'is', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { finding: inserted, created: true };
      const open = await tx.selectFrom('partner_attention').selectAll().where('partner_id', '=', row.partner_id).where('resolved_at', 'is', null).forUpdate().executeTakeFirstOrThrow();
      return { finding: open, created: false };
    },

    async openFinding(db: DbOrTx, partnerId: string): Promise<PartnerAttention | undefined> {
      return db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partnerId).where('resolved_at', 'is', null).executeTakeFirst();
    },

    async findings(db: DbOrTx, partnerId: string, limit = 10): Promise<PartnerAttention[]> {
      return db.selectFrom('partner_attention').selectAll().where('partner_id', '=', partnerId).orderBy('opened_at', 'desc').limit(limit).execute();
    },

    /** One conditional update: only the first caller gets the row (and sends the email). */
    async claimPrimaryNotice(tx: DbOrTx, id: string, now: Date): Promise<boolean> {
      const result = await tx.updateTable('partner_attention').set({ primary_notified_at: now }).where('id', '=', id).where('primary_notified_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Open findings whose secondary contact is due, claimed one by one (two workers never take the same). */
    async claimDueSecondaryNotice(tx: DbOrTx, now: Date): Promise<PartnerAttention | undefined> {
      const due = await tx
        .selectFrom('partner_attention')
        .select('id')
        .where('resolved_at', 'is', null)
        .where('secondary_notified_at', 'is', null)
        .where('secondary_due_at', '<=', now)
        .orderBy('secondary_due_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!due) return undefined;
      return tx.updateTable('partner_attention').set({ secondary_notified_at: now }).where('id', '=', due.id).where('secondary_notified_at', 'is', null).returningAll().executeTakeFirst();
    },

    async updateFinding(tx: DbOrTx, id: string, values: Partial<Pick<PartnerAttention, 'code' | 'source' | 'message' | 'fix' | 'after_fix' | 'last_checked_at'>>): Promise<void> {
      await tx.updateTable('partner_attention').set(values).where('id', '=', id).execute();
    },

    async resolveFinding(tx: DbOrTx, partnerId: string, by: string, now: Date): Promise<PartnerAttention | undefined> {
      return tx
        .updateTable('partner_attention')
        .set({ resolved_at: now, resolved_by: by, last_checked_at: now })
        .where('partner_id', '=', partnerId)
        .where('resolved_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type PartnersRepo = ReturnType<typeof createPartnersRepo>;
