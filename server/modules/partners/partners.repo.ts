import type { DbOrTx } from '../../db/database.ts';
import type { PartnerState } from '../../db/schema.ts';

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
  };
}

export type PartnersRepo = ReturnType<typeof createPartnersRepo>;
