import { sql, type Kysely } from 'kysely';

// Operator console: TotalOne's own staff. Passwords are argon2id hashes, TOTP secrets are
// sealed with AES-256-GCM under a key derived from the application secret, sessions and invites are
// stored as HMACs of their random values only. Support replies are kept beside the requests.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE operators (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL UNIQUE CHECK (email = lower(email)),
      role text NOT NULL CHECK (role IN ('support','admin')),
      status text NOT NULL CHECK (status IN ('invited','active','disabled')),
      password_hash text,
      -- Sealed (v1.<iv>.<tag>.<ciphertext>), bound to the operator id; never the plain secret.
      totp_secret text,
      totp_enrolled_at timestamptz,
      -- The last accepted TOTP time step: a code is accepted once (no replay within its window).
      totp_last_step bigint,
      failed_attempts integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      last_sign_in_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL
    );

    CREATE TABLE operator_sessions (
      -- HMAC-SHA256 of the cookie value: a database reader cannot take over a session.
      id text PRIMARY KEY,
      operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason text,
      ip text,
      user_agent text
    );
    CREATE INDEX operator_sessions_operator_idx ON operator_sessions (operator_id) WHERE revoked_at IS NULL;

    CREATE TABLE operator_invites (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX operator_invites_operator_idx ON operator_invites (operator_id, created_at DESC);

    CREATE TABLE support_replies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      support_request_id uuid NOT NULL REFERENCES support_requests(id) ON DELETE CASCADE,
      operator_id uuid REFERENCES operators(id) ON DELETE SET NULL,
      message text NOT NULL,
      outbox_id uuid,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX support_replies_request_idx ON support_replies (support_request_id, created_at);

    -- Console searches: the audit log by actor, support requests by partner.
    CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id) WHERE actor_id IS NOT NULL;
    CREATE INDEX support_requests_partner_idx ON support_requests (partner_id, created_at) WHERE partner_id IS NOT NULL;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
