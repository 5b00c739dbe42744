import type { DbOrTx } from '../../db/database.ts';

import type { Selectable, Updateable } from 'kysely';
import type { MicrosoftConnectionsTable, PreflightRunsTable } from '../../db/schema.ts';

export type Connection = Selectable<MicrosoftConnectionsTable>;
export type PreflightRun = Selectable<PreflightRunsTable>;

export function createConnectRepo() {
  return {
    async connection(db: DbOrTx, partnerId: string): Promise<Connection | undefined> {
      return db.selectFrom('microsoft_connections').selectAll().where('partner_id', '=', partnerId).executeTakeFirst();
    },

    /** Creates the row on first use; every later step updates it. */
    async saveConnection(db: DbOrTx, partnerId: string, changes: Updateable<MicrosoftConnectionsTable> & { updated_at: Date }): Promise<void> {
      await db
        .insertInto('microsoft_connections')
        .values({ partner_id: partnerId, ...changes } as any)
        .onConflict((oc) => oc.column('partner_id').doUpdateSet(changes as any))
        .execute();
    },

    /** The other partner that holds this tenant (committed, not offboarded), if any. */
    async tenantHolder(db: DbOrTx, tenantId: string, partnerId: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('microsoft_connections')
        .select('partner_id')
        .where('tenant_id', '=', tenantId)
        .where('partner_id', '<>', partnerId)
        .where('committed_at', 'is not', null)
        .where('tenant_released_at', 'is', null)
        .executeTakeFirst();
      return row?.partner_id;
    },

    /** The partner leaves: its tenant is free for another partner. */
    async releaseTenant(db: DbOrTx, partnerId: string, now: Date): Promise<boolean> {
      const result = await db.updateTable('microsoft_connections').set({ tenant_released_at: now }).where('partner_id', '=', partnerId).where('tenant_released_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Entra secrets a release before the app keyring kept sealed beside the connection (moved into the vault at start-up). */
    legacyPendingSecrets(db: DbOrTx) {
      return db.selectFrom('microsoft_connections').select(['partner_id', 'pending_entra_secret']).where('pending_entra_secret', 'is not', null).execute();
    },

    /** Clears a legacy pending secret, only while it is still the value read. */
    async clearLegacyPendingSecret(db: DbOrTx, partnerId: string, expected: string): Promise<boolean> {
      const result = await db.updateTable('microsoft_connections').set({ pending_entra_secret: null }).where('partner_id', '=', partnerId).where('pending_entra_secret', '=', expected).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Records a sign-in's answer on the connection unless a sign-in started later already decided
     * (one conditional upsert): the latest sign-in decides what the wizard shows and what counts.
     */
    async decideSignIn(db: DbOrTx, partnerId: string, startedAt: Date, changes: Updateable<MicrosoftConnectionsTable> & { updated_at: Date }): Promise<boolean> {
      const values = { ...changes, sign_in_started_at: startedAt };
      const result = await db
        .insertInto('microsoft_connections')
        .values({ partner_id: partnerId, ...values } as any)
        .onConflict((oc) =>
          oc
            .column('partner_id')
            .doUpdateSet(values as any)
            .where((eb) => eb.or([eb('microsoft_connections.sign_in_started_at', 'is', null), eb('microsoft_connections.sign_in_started_at', '<=', startedAt)])),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    /** A sign-in by its state, used or not (to tell a replayed answer from a foreign one). */
    async signInByState(db: DbOrTx, stateHash: string) {
      return db.selectFrom('oauth_sign_ins').select(['partner_id', 'session_hash', 'consumed_at']).where('state_hash', '=', stateHash).executeTakeFirst();
    },

    async insertSignIn(db: DbOrTx, row: { stateHash: string; partnerId: string; sessionHash: string; tenantId: string; sealedChecks: string; createdAt: Date; expiresAt: Date }) {
      await db
        .insertInto('oauth_sign_ins')
        .values({ state_hash: row.stateHash, partner_id: row.partnerId, session_hash: row.sessionHash, tenant_id: row.tenantId, sealed_checks: row.sealedChecks, created_at: row.createdAt, expires_at: row.expiresAt })
        .execute();
    },

    /** The partner's most recent sign-in started at Microsoft (used or not). */
    async latestSignIn(db: DbOrTx, partnerId: string) {
      return db
        .selectFrom('oauth_sign_ins')
        .select(['created_at', 'consumed_at'])
        .where('partner_id', '=', partnerId)
        .orderBy('created_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    /** Uses a sign-in's state once: one conditional update, so a replayed callback finds nothing. */
    async consumeSignIn(db: DbOrTx, stateHash: string, now: Date) {
      return db
        .updateTable('oauth_sign_ins')
        .set({ consumed_at: now })
        .where('state_hash', '=', stateHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },

    async insertPreflightRun(db: DbOrTx, row: { partnerId: string; triggeredBy: string; startedAt: Date; finishedAt: Date; checks: unknown[]; allRequiredPassed: boolean }): Promise<string> {
      const inserted = await db
        .insertInto('preflight_runs')
        .values({ partner_id: row.partnerId, triggered_by: row.triggeredBy, started_at: row.startedAt, finished_at: row.finishedAt, checks: JSON.stringify(row.checks), all_required_passed: row.allRequiredPassed })
        .returning('id')
        .executeTakeFirstOrThrow();
      return inserted.id;
    },

    async preflightRun(db: DbOrTx, id: string): Promise<PreflightRun | undefined> {
      return db.selectFrom('preflight_runs').selectAll().where('id', '=', id).executeTakeFirst();
    },

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
