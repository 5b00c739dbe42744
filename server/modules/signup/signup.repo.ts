import { sql } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { Contact, OneTimeToken, Partner, PartnerState, TokenPurpose } from '../../db/schema.ts';
import type { SignupData } from '../../../contracts/signup.ts';

/** States in which a signup is still under way (a new signup with the same email continues it). */
export const inProgressStates: PartnerState[] = ['registered', 'email_verified', 'link_sent', 'connecting', 'link_expired'];

export function createSignupRepo() {
  return {
    /** Serialises signups that touch the same email or tenant domain, for this transaction only. */
    async lock(tx: DbOrTx, ...keys: string[]): Promise<void> {
      // Always in the same (sorted) order, so two transactions can never wait on each other.
      const sorted = [...keys].sort();
      await sql`SELECT ${sql.join(sorted.map((key) => sql`pg_advisory_xact_lock(hashtextextended(${key}, 0))`))}`.execute(tx);
    },

    async findInProgressByPrimaryEmail(tx: DbOrTx, email: string): Promise<(Partner & { first_name: string }) | undefined> {
      return tx
        .selectFrom('partners')
        .innerJoin('contacts', (join) => join.onRef('contacts.partner_id', '=', 'partners.id').on('contacts.role', '=', 'primary'))
        .selectAll('partners')
        .select('contacts.first_name')
        .where('contacts.email', '=', email)
        .where('partners.state', 'in', inProgressStates)
        .orderBy('partners.created_at', 'desc')
        .executeTakeFirst();
    },

    /** A closed partner with this address among its contacts, or this tenant domain. */
    async findClosedByEmailOrDomain(tx: DbOrTx, email: string, domain: string, closed: readonly PartnerState[]): Promise<Partner | undefined> {
      return tx
        .selectFrom('partners')
        .selectAll()
        .where('state', 'in', [...closed])
        .where((eb) =>
          eb.or([
            eb(sql<string>`lower(entra_domain)`, '=', domain.toLowerCase()),
            eb.exists(eb.selectFrom('contacts').select('contacts.id').whereRef('contacts.partner_id', '=', 'partners.id').where('contacts.email', '=', email)),
          ]),
        )
        .executeTakeFirst();
    },

    async findActiveByEntraDomain(tx: DbOrTx, domain: string): Promise<Partner | undefined> {
      return tx
        .selectFrom('partners')
        .selectAll()
        .where(sql<string>`lower(entra_domain)`, '=', domain.toLowerCase())
        .where('state', '!=', 'suspended')
        .executeTakeFirst();
    },

    async insertPartner(tx: DbOrTx, data: SignupData, reference: string, now: Date): Promise<Partner> {
      const c = data.company;
      const partner = await tx
        .insertInto('partners')
        .values({
          reference,
          state: 'registered',
          legal_name: c.legalName,
          country: c.country,
          street: c.street,
          postal_code: c.postalCode,
          city: c.city,
          tax_id: c.taxId,
          website: c.website,
          mpn_id: c.mpnId,
          entra_domain: c.entraDomain,
          // The application's clock, like every other time of the partner (the funnel's period is
          // measured by it); the database's own clock may differ from it.
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const contacts = [{ role: 'primary' as const, ...data.primaryContact }, ...(data.secondaryContact ? [{ role: 'secondary' as const, ...data.secondaryContact }] : [])];
      await tx
        .insertInto('contacts')
        .values(
          contacts.map((contact) => ({
            partner_id: partner.id,
            role: contact.role,
            first_name: contact.firstName,
            last_name: contact.lastName,
            job_title: contact.jobTitle,
            email: contact.email,
            phone: contact.phone,
          })),
        )
        .execute();
      return partner;
    },

    /**
     * Locks the partner row until the transaction ends: every path that issues a link (signup or
     * confirmation; operator, self-service or system) takes this one lock, so two issuers of one
     * partner can never interleave their revoke-then-insert.
     */
    async lockPartner(tx: DbOrTx, id: string): Promise<Partner | undefined> {
      return tx.selectFrom('partners').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    /** The partner's usable signup link that a browser has claimed, if any (its session may have ended). */
    async findClaimedUsableLink(db: DbOrTx, partnerId: string, now: Date): Promise<OneTimeToken | undefined> {
      return db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('partner_id', '=', partnerId)
        .where('purpose', '=', 'signup_link')
        .where('claimed_at', 'is not', null)
        .where('spent_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
    },

    /** Records a use of the session (at most once a minute per session). */
    async touchSession(db: DbOrTx, id: string, now: Date, olderThan: Date): Promise<void> {
      await db.updateTable('one_time_tokens').set({ session_seen_at: now }).where('id', '=', id).where('session_seen_at', '<', olderThan).execute();
    },

    /** Sign-out: the session that claimed a link ends; returns whether one did. */
    async endSession(db: DbOrTx, sessionHash: string, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('one_time_tokens')
        .set({ session_ended_at: now })
        .where('claimed_session_hash', '=', sessionHash)
        .where('purpose', '=', 'signup_link')
        .where('session_ended_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async findPartner(db: DbOrTx, id: string): Promise<Partner | undefined> {
      return db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findPartnerByReference(db: DbOrTx, reference: string): Promise<Partner | undefined> {
      return db.selectFrom('partners').selectAll().where('reference', '=', reference).executeTakeFirst();
    },

    async contacts(db: DbOrTx, partnerId: string): Promise<{ primary: Contact; secondary: Contact | undefined }> {
      const rows = await db.selectFrom('contacts').selectAll().where('partner_id', '=', partnerId).execute();
      const primary = rows.find((r) => r.role === 'primary');
      if (!primary) throw new Error(`Partner ${partnerId} has no primary contact`);
      return { primary, secondary: rows.find((r) => r.role === 'secondary') };
    },

    /** The newest partner contact with this address, if any (support requests). */
    async findContactByEmail(db: DbOrTx, email: string): Promise<Pick<Contact, 'partner_id' | 'first_name'> | undefined> {
      return db.selectFrom('contacts').select(['partner_id', 'first_name']).where('email', '=', email).orderBy('created_at', 'desc').executeTakeFirst();
    },

    async insertToken(tx: DbOrTx, row: { partnerId: string; purpose: TokenPurpose; tokenHash: string; expiresAt: Date; issuedBy: string }): Promise<OneTimeToken> {
      return tx
        .insertInto('one_time_tokens')
        .values({ partner_id: row.partnerId, purpose: row.purpose, token_hash: row.tokenHash, expires_at: row.expiresAt, issued_by: row.issuedBy })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Revokes every link of this purpose that could still be used; returns how many. */
    async revokeUsableTokens(tx: DbOrTx, partnerId: string, purpose: TokenPurpose, reason: string, now: Date): Promise<number> {
      const result = await tx
        .updateTable('one_time_tokens')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('partner_id', '=', partnerId)
        .where('purpose', '=', purpose)
        .where('revoked_at', 'is', null)
        .where('spent_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async findToken(db: DbOrTx, tokenHash: string, purpose: TokenPurpose): Promise<OneTimeToken | undefined> {
      return db.selectFrom('one_time_tokens').selectAll().where('token_hash', '=', tokenHash).where('purpose', '=', purpose).executeTakeFirst();
    },

    /** Spends a usable link in one conditional update: under any concurrency one caller wins. */
    async spendToken(tx: DbOrTx, tokenHash: string, purpose: TokenPurpose, now: Date): Promise<OneTimeToken | undefined> {
      return tx
        .updateTable('one_time_tokens')
        .set({ spent_at: now })
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('spent_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },

    /** First claim of a link, bound to one browser session; one conditional update. */
    async claimToken(tx: DbOrTx, tokenHash: string, sessionHash: string, now: Date, purpose: TokenPurpose = 'signup_link'): Promise<OneTimeToken | undefined> {
      return tx
        .updateTable('one_time_tokens')
        .set({ claimed_at: now, claimed_session_hash: sessionHash, session_seen_at: now })
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('claimed_at', 'is', null)
        .where('spent_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },

    /** Spends the link this session claimed; one conditional update, so only one commit wins. */
    async spendClaimedLink(tx: DbOrTx, sessionHash: string, now: Date, purpose: TokenPurpose = 'signup_link'): Promise<OneTimeToken | undefined> {
      return tx
        .updateTable('one_time_tokens')
        .set({ spent_at: now })
        .where('claimed_session_hash', '=', sessionHash)
        .where('purpose', '=', purpose)
        .where('spent_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },

    /** The link of this purpose this browser session claimed: usable, or spent by completing its work. */
    async findClaimedBySession(db: DbOrTx, sessionHash: string, now: Date, purpose: TokenPurpose = 'signup_link'): Promise<OneTimeToken | undefined> {
      return db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('claimed_session_hash', '=', sessionHash)
        .where('purpose', '=', purpose)
        .where('revoked_at', 'is', null)
        // A spent link keeps showing its browser the status; an unspent one only until it expires.
        .where((eb) => eb.or([eb('spent_at', 'is not', null), eb('expires_at', '>', now)]))
        .orderBy('claimed_at', 'desc')
        .executeTakeFirst();
    },

    /** Partners whose latest signup link ran out unused (they move to link_expired), rows locked. */
    async partnersWithLapsedLinks(tx: DbOrTx, now: Date): Promise<string[]> {
      const rows = await tx
        .selectFrom('partners')
        .select('id')
        .where('state', 'in', ['link_sent', 'connecting'])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('one_time_tokens')
                .select('one_time_tokens.id')
                .whereRef('one_time_tokens.partner_id', '=', 'partners.id')
                .where('one_time_tokens.purpose', '=', 'signup_link')
                .where('one_time_tokens.revoked_at', 'is', null)
                .where('one_time_tokens.spent_at', 'is', null)
                .where('one_time_tokens.expires_at', '>', now),
            ),
          ),
        )
        // Another run of the job holds some of them: it expires those.
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map((r) => r.id);
    },

    /** Every link of the partner that could still be used, of any purpose (suspension). */
    async revokeAllUsableTokens(tx: DbOrTx, partnerId: string, reason: string, now: Date): Promise<number> {
      const result = await tx
        .updateTable('one_time_tokens')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('partner_id', '=', partnerId)
        .where('revoked_at', 'is', null)
        .where('spent_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async setSupportRequestStatus(tx: DbOrTx, id: string, status: 'open' | 'handled'): Promise<boolean> {
      const result = await tx.updateTable('support_requests').set({ status }).where('id', '=', id).where('status', '!=', status).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async insertSupportRequest(
      tx: DbOrTx,
      row: { reference: string; partnerId: string | null; name: string; email: string; message: string; signupReference: string | null; ip: string | null },
    ) {
      return tx
        .insertInto('support_requests')
        .values({
          reference: row.reference,
          partner_id: row.partnerId,
          name: row.name,
          email: row.email,
          message: row.message,
          signup_reference: row.signupReference,
          status: 'open',
          ip: row.ip,
        })
        .returning(['id', 'reference'])
        .executeTakeFirstOrThrow();
    },
  };
}

export type SignupRepo = ReturnType<typeof createSignupRepo>;
