import { sql, type Kysely } from 'kysely';

// Foundation tables: partners and contacts, one-time tokens, the email outbox, the append-only
// audit log, database-backed rate limits and support requests. PostgreSQL 15 dialect: it must run
// unchanged on PGlite and on the production server.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE partners (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reference text NOT NULL UNIQUE,
      state text NOT NULL CHECK (state IN ('registered','email_verified','link_sent','connecting','connected','syncing','active','link_expired','sync_failed','suspended')),
      legal_name text NOT NULL,
      country char(2) NOT NULL,
      street text NOT NULL,
      postal_code text NOT NULL,
      city text NOT NULL,
      tax_id text NOT NULL,
      website text,
      mpn_id text NOT NULL,
      entra_domain text NOT NULL,
      email_verified_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX partners_entra_domain_idx ON partners (lower(entra_domain));
    CREATE INDEX partners_state_idx ON partners (state, created_at);

    CREATE TABLE contacts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('primary','secondary')),
      first_name text NOT NULL,
      last_name text NOT NULL,
      job_title text NOT NULL,
      email text NOT NULL CHECK (email = lower(email)),
      phone text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (partner_id, role)
    );
    CREATE INDEX contacts_email_idx ON contacts (email);

    CREATE TABLE one_time_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('email_verification','signup_link')),
      token_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      issued_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      claimed_at timestamptz,
      claimed_session_hash text,
      spent_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text
    );
    CREATE INDEX one_time_tokens_partner_idx ON one_time_tokens (partner_id, purpose, created_at DESC);
    CREATE INDEX one_time_tokens_session_idx ON one_time_tokens (claimed_session_hash) WHERE claimed_session_hash IS NOT NULL;

    CREATE TABLE outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key text NOT NULL UNIQUE,
      partner_id uuid REFERENCES partners(id) ON DELETE SET NULL,
      template text NOT NULL,
      to_address text NOT NULL,
      cc_addresses jsonb NOT NULL DEFAULT '[]',
      params jsonb NOT NULL DEFAULT '{}',
      sealed_secrets text,
      status text NOT NULL CHECK (status IN ('pending','sent','failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      message_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    );
    CREATE INDEX outbox_partner_idx ON outbox (partner_id, created_at);
    CREATE INDEX outbox_pending_idx ON outbox (created_at) WHERE status = 'pending';

    CREATE TABLE audit_events (
      id bigserial PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      actor_type text NOT NULL CHECK (actor_type IN ('partner','operator','system','anonymous')),
      actor_id text,
      partner_id uuid,
      action text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}',
      ip text
    );
    CREATE INDEX audit_events_partner_idx ON audit_events (partner_id, occurred_at);
    CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at);

    -- The audit log is append-only: the database itself refuses to change or remove a row.
    CREATE FUNCTION refuse_change_of_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only();
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only();

    CREATE TABLE rate_limits (
      key text PRIMARY KEY,
      window_start timestamptz NOT NULL,
      hits integer NOT NULL
    );

    CREATE TABLE support_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reference text NOT NULL UNIQUE,
      partner_id uuid REFERENCES partners(id) ON DELETE SET NULL,
      name text NOT NULL,
      email text NOT NULL,
      message text NOT NULL,
      signup_reference text,
      status text NOT NULL CHECK (status IN ('open','handled')),
      ip text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX support_requests_status_idx ON support_requests (status, created_at);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
