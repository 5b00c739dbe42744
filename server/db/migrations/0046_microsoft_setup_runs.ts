import { sql, type Kysely } from 'kysely';

// "Set up Microsoft for me": one row per run, written while it runs (each action with its result
// as it happens), so the wizard can show the progress live and after a reload. At most one run of a
// partner is running at a time (the partial unique index); a run whose process stopped is given up
// (status interrupted) when the next one starts. The finished record also goes to the audit trail.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE microsoft_setup_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      seq bigserial NOT NULL,
      partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('running', 'completed', 'refused', 'interrupted')),
      actions jsonb NOT NULL DEFAULT '[]',
      refusal jsonb,
      app_id text,
      started_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz
    );
    CREATE INDEX microsoft_setup_runs_partner ON microsoft_setup_runs (partner_id, seq DESC);
    CREATE UNIQUE INDEX microsoft_setup_runs_one_running ON microsoft_setup_runs (partner_id) WHERE status = 'running';
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
