import { sql } from 'kysely';
import type { DbOrTx } from '../../db/database.ts';
import type { Operator, OperatorInvite, OperatorSession } from '../../db/schema.ts';

// The operator module's own tables: operators, their sessions and invites, support replies.

export function createOperatorsRepo() {
  return {
    async insertOperator(tx: DbOrTx, row: { email: string; role: Operator['role']; createdBy: string; now: Date }): Promise<Operator> {
      return tx
        .insertInto('operators')
        .values({ email: row.email, role: row.role, status: 'invited', created_by: row.createdBy, updated_at: row.now })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async findById(db: DbOrTx, id: string): Promise<Operator | undefined> {
      return db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findByEmail(db: DbOrTx, email: string): Promise<Operator | undefined> {
      return db.selectFrom('operators').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    },

    /** Locks the operator row for the rest of the transaction (sign-in counters, enrolment). */
    async lockById(tx: DbOrTx, id: string): Promise<Operator | undefined> {
      return tx.selectFrom('operators').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async list(db: DbOrTx): Promise<Operator[]> {
      return db.selectFrom('operators').selectAll().orderBy('email').execute();
    },

    async countActiveAdmins(db: DbOrTx): Promise<number> {
      const row = await db.selectFrom('operators').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'admin').where('status', '=', 'active').executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async update(
      tx: DbOrTx,
      id: string,
      changes: Partial<Pick<Operator, 'role' | 'status' | 'password_hash' | 'totp_secret' | 'totp_enrolled_at' | 'totp_last_step' | 'last_sign_in_at'>> & { updated_at: Date },
    ): Promise<void> {
      await tx.updateTable('operators').set(changes).where('id', '=', id).execute();
    },

    /** Every stored (sealed) authenticator secret: the app keyring re-seals them when it rotates. */
    async sealedTotpSecrets(db: DbOrTx): Promise<Array<{ id: string; totp_secret: string }>> {
      const rows = await db.selectFrom('operators').select(['id', 'totp_secret']).where('totp_secret', 'is not', null).orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, totp_secret: r.totp_secret! }));
    },

    /** Replaces a sealed authenticator secret with the same secret sealed again; only if unchanged since read. */
    async resealTotpSecret(db: DbOrTx, id: string, expected: string, sealed: string): Promise<boolean> {
      const result = await db.updateTable('operators').set({ totp_secret: sealed }).where('id', '=', id).where('totp_secret', '=', expected).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Spends a TOTP time step: one conditional update, so of several requests with the same code
     * exactly one moves the step forward. Returns whether this one did.
     */
    async spendTotpStep(tx: DbOrTx, id: string, step: number, now: Date): Promise<boolean> {
      const result = await tx
        .updateTable('operators')
        .set({ totp_last_step: step, last_sign_in_at: now, updated_at: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    // --- sign-in lockout (keyed by an HMAC of the typed email, known or not) ---

    /**
     * Counts one attempt before the password is checked. Returns the attempt's number since the
     * last success, or undefined when the subject is locked now (nothing counted). The attempt that
     * reaches `max` locks at once; a success clears it (`clearFailures`).
     */
    async reserveAttempt(db: DbOrTx, subject: string, max: number, now: Date, lockUntil: Date): Promise<number | undefined> {
      const failures = sql<number>`CASE WHEN sign_in_lockouts.locked_until IS NOT NULL THEN 1 ELSE sign_in_lockouts.failures + 1 END`;
      const row = await db
        .insertInto('sign_in_lockouts')
        .values({ subject, failures: 1, locked_until: max <= 1 ? lockUntil : null, updated_at: now })
        .onConflict((oc) =>
          oc
            .column('subject')
            .doUpdateSet({
              // An expired lock starts a new count.
              failures,
              locked_until: sql`CASE WHEN ${failures} >= ${max} THEN ${lockUntil}::timestamptz ELSE NULL END`,
              updated_at: now,
            })
            .where((eb) => eb.or([eb('sign_in_lockouts.locked_until', 'is', null), eb('sign_in_lockouts.locked_until', '<=', now)])),
        )
        .returning(['failures'])
        .executeTakeFirst();
      return row ? Number(row.failures) : undefined;
    },

    async lockedUntil(db: DbOrTx, subjects: string[], now: Date): Promise<Map<string, Date>> {
      if (subjects.length === 0) return new Map();
      const rows = await db.selectFrom('sign_in_lockouts').select(['subject', 'locked_until']).where('subject', 'in', subjects).where('locked_until', '>', now).execute();
      return new Map(rows.map((r) => [r.subject, new Date(r.locked_until!)]));
    },

    async clearFailures(db: DbOrTx, subject: string): Promise<void> {
      await db.deleteFrom('sign_in_lockouts').where('subject', '=', subject).execute();
    },

    // --- invites ---

    async insertInvite(tx: DbOrTx, row: { operatorId: string; tokenHash: string; createdBy: string; now: Date; expiresAt: Date }): Promise<OperatorInvite> {
      return tx
        .insertInto('operator_invites')
        .values({ operator_id: row.operatorId, token_hash: row.tokenHash, created_by: row.createdBy, created_at: row.now, expires_at: row.expiresAt })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async revokeOpenInvites(tx: DbOrTx, operatorId: string, now: Date): Promise<number> {
      const result = await tx
        .updateTable('operator_invites')
        .set({ revoked_at: now })
        .where('operator_id', '=', operatorId)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async findInvite(db: DbOrTx, tokenHash: string): Promise<OperatorInvite | undefined> {
      return db.selectFrom('operator_invites').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    /** Marks the invite used: one conditional update, so it completes exactly once. */
    async useInvite(tx: DbOrTx, id: string, now: Date): Promise<boolean> {
      const result = await tx
        .updateTable('operator_invites')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    // --- sessions ---

    async insertSession(tx: DbOrTx, row: { id: string; operatorId: string; now: Date; expiresAt: Date; ip: string; userAgent: string }): Promise<OperatorSession> {
      return tx
        .insertInto('operator_sessions')
        .values({ id: row.id, operator_id: row.operatorId, created_at: row.now, last_seen_at: row.now, expires_at: row.expiresAt, ip: row.ip, user_agent: row.userAgent })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async findSession(db: DbOrTx, id: string): Promise<(OperatorSession & { email: string; role: Operator['role']; status: Operator['status'] }) | undefined> {
      return db
        .selectFrom('operator_sessions')
        .innerJoin('operators', 'operators.id', 'operator_sessions.operator_id')
        .selectAll('operator_sessions')
        .select(['operators.email', 'operators.role', 'operators.status'])
        .where('operator_sessions.id', '=', id)
        .executeTakeFirst();
    },

    async touchSession(db: DbOrTx, id: string, now: Date): Promise<void> {
      await db.updateTable('operator_sessions').set({ last_seen_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },

    async revokeSession(db: DbOrTx, id: string, reason: string, now: Date): Promise<boolean> {
      const result = await db.updateTable('operator_sessions').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async revokeAllSessions(db: DbOrTx, operatorId: string, reason: string, now: Date): Promise<number> {
      const result = await db
        .updateTable('operator_sessions')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('operator_id', '=', operatorId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    // --- support replies ---

    async insertReply(tx: DbOrTx, row: { requestId: string; operatorId: string; message: string; now: Date }) {
      return tx
        .insertInto('support_replies')
        .values({ support_request_id: row.requestId, operator_id: row.operatorId, message: row.message, created_at: row.now })
        .returning(['id'])
        .executeTakeFirstOrThrow();
    },

    async setReplyOutbox(tx: DbOrTx, replyId: string, outboxId: string | null): Promise<void> {
      await tx.updateTable('support_replies').set({ outbox_id: outboxId }).where('id', '=', replyId).execute();
    },

    async replies(db: DbOrTx, requestId: string) {
      return db
        .selectFrom('support_replies')
        .leftJoin('operators', 'operators.id', 'support_replies.operator_id')
        .leftJoin('outbox', 'outbox.id', 'support_replies.outbox_id')
        .select(['support_replies.id', 'support_replies.message', 'support_replies.created_at', 'operators.email as operator_email', 'outbox.status as email_status'])
        .where('support_replies.support_request_id', '=', requestId)
        .orderBy('support_replies.created_at')
        .execute();
    },
  };
}

export type OperatorsRepo = ReturnType<typeof createOperatorsRepo>;
