import { sql } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { PartnerAttention, PartnerAttentionTable, PartnerSecret, PartnerState, TrackedSecret } from '../../db/schema.ts';
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

    /** Connected partners (any state after the commit but suspended), with what is needed to find their secrets. */
    async partnersWithSecrets(db: DbOrTx, states: readonly PartnerState[], partnerId?: string) {
      let query = db
        .selectFrom('partners')
        .innerJoin('microsoft_connections', 'microsoft_connections.partner_id', 'partners.id')
        .select([
          'partners.id',
          'partners.state',
          'microsoft_connections.tenant_id',
          'microsoft_connections.entra_app_id',
          'microsoft_connections.entra_secret_hint',
          'microsoft_connections.partner_center_web_app_id',
          'microsoft_connections.partner_center_secret_hint',
          'microsoft_connections.partner_center_secret_expires_on',
        ])
        .where('partners.state', 'in', [...states])
        .where('microsoft_connections.committed_at', 'is not', null);
      if (partnerId) query = query.where('partners.id', '=', partnerId);
      return query.orderBy('partners.id').execute();
    },

    async upsertSecret(db: DbOrTx, row: { partnerId: string; credential: TrackedSecret; appId: string; keyId: string | null; endsAt: Date | null; source: 'graph' | 'typed'; now: Date }) {
      const values = { app_id: row.appId, key_id: row.keyId, ends_at: row.endsAt, source: row.source, checked_at: row.now };
      await db
        .insertInto('partner_secrets')
        .values({ partner_id: row.partnerId, credential: row.credential, ...values })
        .onConflict((oc) => oc.columns(['partner_id', 'credential']).doUpdateSet(values))
        .execute();
    },

    /** The partner whose primary contact has this address, in one of `states` (newest first). */
    async partnerByPrimaryEmail(db: DbOrTx, email: string, states: readonly PartnerState[]): Promise<string | undefined> {
      const row = await db
        .selectFrom('partners')
        .innerJoin('contacts', (join) => join.onRef('contacts.partner_id', '=', 'partners.id').on('contacts.role', '=', 'primary'))
        .select('partners.id')
        .where('contacts.email', '=', email.trim().toLowerCase())
        .where('partners.state', 'in', [...states])
        .orderBy('partners.created_at', 'desc')
        .executeTakeFirst();
      return row?.id;
    },

    /** A replaced secret is no longer tracked: the next read of Graph tracks its successor from scratch. */
    async forgetSecrets(db: DbOrTx, partnerId: string, credentials: readonly TrackedSecret[]): Promise<void> {
      if (credentials.length === 0) return;
      await db.deleteFrom('partner_secrets').where('partner_id', '=', partnerId).where('credential', 'in', [...credentials]).execute();
    },

    async secretsOf(db: DbOrTx, partnerId: string): Promise<PartnerSecret[]> {
      return db.selectFrom('partner_secrets').selectAll().where('partner_id', '=', partnerId).orderBy('credential').execute();
    },

    /** Partners by the secret that ends first (console). */
    async nearestExpiries(db: DbOrTx, limit: number) {
      return db
        .selectFrom('partner_secrets')
        .innerJoin('partners', 'partners.id', 'partner_secrets.partner_id')
        .select(['partners.id', 'partners.reference', 'partners.legal_name', 'partners.state', 'partner_secrets.credential', 'partner_secrets.ends_at', 'partner_secrets.source', 'partner_secrets.key_id'])
        .where('partner_secrets.ends_at', 'is not', null)
        .where('partners.state', '!=', 'suspended')
        .orderBy('partner_secrets.ends_at')
        .limit(limit)
        .execute();
    },

    /** The latest runs of the checks (drift, check again, the wizard), newest first. */
    async latestCheckRuns(db: DbOrTx, partnerId: string, limit: number) {
      return db.selectFrom('preflight_runs').select(['finished_at', 'triggered_by', 'checks', 'all_required_passed']).where('partner_id', '=', partnerId).orderBy('finished_at', 'desc').limit(limit).execute();
    },

    /** A new confirmation link for the primary contact's offboarding; earlier ones stop working. */
    async insertOffboardingRequest(tx: DbOrTx, row: { partnerId: string; tokenHash: string; now: Date; expiresAt: Date }): Promise<string> {
      await tx.updateTable('offboarding_requests').set({ revoked_at: row.now }).where('partner_id', '=', row.partnerId).where('spent_at', 'is', null).where('revoked_at', 'is', null).execute();
      const inserted = await tx
        .insertInto('offboarding_requests')
        .values({ partner_id: row.partnerId, token_hash: row.tokenHash, requested_at: row.now, expires_at: row.expiresAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return inserted.id;
    },

    async findOffboardingRequest(db: DbOrTx, tokenHash: string) {
      return db.selectFrom('offboarding_requests').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    /** Spends a usable confirmation link in one conditional update: one caller wins. */
    async spendOffboardingRequest(tx: DbOrTx, tokenHash: string, now: Date) {
      return tx
        .updateTable('offboarding_requests')
        .set({ spent_at: now })
        .where('token_hash', '=', tokenHash)
        .where('spent_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },

    /** Every browser session that claimed a link of the partner ends now. */
    async endAllSessions(tx: DbOrTx, partnerId: string, now: Date): Promise<number> {
      const result = await tx
        .updateTable('one_time_tokens')
        .set({ session_ended_at: now })
        .where('partner_id', '=', partnerId)
        .where('claimed_session_hash', 'is not', null)
        .where('session_ended_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** After the retention period: customers deleted, the contacts' personal data erased. */
    async purgePartnerData(tx: DbOrTx, partnerId: string): Promise<{ customers: number; contacts: number }> {
      const customers = await tx.deleteFrom('customers').where('partner_id', '=', partnerId).executeTakeFirst();
      const contacts = await tx
        .updateTable('contacts')
        .set({ first_name: 'Erased', last_name: 'Erased', job_title: 'Erased', email: sql<string>`'erased+' || id || '@invalid'`, phone: 'Erased' })
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
      return { customers: Number(customers.numDeletedRows), contacts: Number(contacts.numUpdatedRows) };
    },
  };
}

export type PartnersRepo = ReturnType<typeof createPartnersRepo>;
