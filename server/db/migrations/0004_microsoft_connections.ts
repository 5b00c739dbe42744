import { sql, type Kysely } from 'kysely';

// Step 3 state: what the partner entered (IDs only; secrets live in the vault), the Microsoft
// sign-in in flight, and every preflight run.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE microsoft_connections (
      partner_id uuid PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
      tenant_input text,
      tenant_id uuid,
      entra_app_id uuid,
      entra_secret_hint text,
      entra_validated_at timestamptz,
      -- The Entra secret waits here, sealed with an application key, until the Partner Center
      -- secret (the root of the partner's vault keys) arrives; then it moves into the vault.
      pending_entra_secret text,
      partner_center_web_app_id uuid,
      partner_center_native_app_id uuid,
      partner_center_secret_hint text,
      partner_center_secret_expires_on date,
      partner_center_validated_at timestamptz,
      service_account_object_id uuid,
      service_account_upn text,
      mfa_performed boolean,
      signed_in_at timestamptz,
      sign_in_error jsonb,
      graph_delegated boolean,
      last_preflight_run_id uuid,
      committed_at timestamptz,
      updated_at timestamptz NOT NULL
    );

    CREATE TABLE oauth_sign_ins (
      state_hash text PRIMARY KEY,
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      session_hash text NOT NULL,
      tenant_id uuid NOT NULL,
      -- nonce and PKCE verifier, sealed: they are secrets until the code is redeemed.
      sealed_checks text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      consumed_at timestamptz
    );
    CREATE INDEX oauth_sign_ins_partner_idx ON oauth_sign_ins (partner_id, created_at);

    CREATE TABLE preflight_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      triggered_by text NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      checks jsonb NOT NULL,
      all_required_passed boolean NOT NULL
    );
    CREATE INDEX preflight_runs_partner_idx ON preflight_runs (partner_id, started_at DESC);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
