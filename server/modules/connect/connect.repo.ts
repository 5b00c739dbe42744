import type { DbOrTx } from '../../db/database.ts';

export function createConnectRepo() {
  return {
    async insertAcceptances(
      tx: DbOrTx,
      rows: Array<{ partnerId: string; contactId: string; document: 'terms_of_use' | 'privacy_policy'; version: string; sha256: string; acceptedAt: Date; ip: string; userAgent: string }>,
    ) {
      await tx
        .insertInto('terms_acceptances')
        .values(
          rows.map((r) => ({
            partner_id: r.partnerId,
            contact_id: r.contactId,
            document: r.document,
            version: r.version,
            sha256: r.sha256,
            accepted_at: r.acceptedAt,
            ip: r.ip,
            user_agent: r.userAgent,
          })),
        )
        .execute();
    },

    /** The newest acceptance of each document by this partner. */
    async latestAcceptances(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('terms_acceptances')
        .select(['document', 'version', 'sha256', 'accepted_at'])
        .distinctOn('document')
        .where('partner_id', '=', partnerId)
        .orderBy('document')
        .orderBy('accepted_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
    },
  };
}

export type ConnectRepo = ReturnType<typeof createConnectRepo>;
