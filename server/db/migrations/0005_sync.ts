import { sql, type Kysely } from 'kysely';

// Customer import: the partner's customers as last read from Partner Center, and one row
// per sync run holding its continuation point and counts (the checkpoint a crashed run resumes from).
//
// Search and paging stay on btree indexes (PGlite loads no pg_trgm unless the database layer
// registers it): lower(name) and lower(domain) in the "C" collation serve both the prefix search
// (LIKE 'abc%') and the keyset order, per partner, for customers still present.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE customers (
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      customer_id text NOT NULL,
      tenant_id text,
      domain text NOT NULL DEFAULT '',
      company_name text NOT NULL DEFAULT '',
      relationship text,
      attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
      first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      last_seen_run_id uuid NOT NULL,
      removed_at timestamptz,
      PRIMARY KEY (partner_id, customer_id)
    );
    CREATE INDEX customers_name_idx ON customers (partner_id, (lower(company_name) COLLATE "C"), customer_id) WHERE removed_at IS NULL;
    CREATE INDEX customers_domain_idx ON customers (partner_id, (lower(domain) COLLATE "C"), customer_id) WHERE removed_at IS NULL;

    CREATE TABLE sync_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- Order of creation, independent of clocks: "the latest run" is the highest.
      seq bigserial NOT NULL,
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      reason text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
      correlation_id uuid NOT NULL,
      -- The pg-boss job that started the run (a retry of it finds its run finished and stops), and
      -- the one working on it now (recovery cancels it when its worker died).
      job_id uuid,
      active_job_id uuid,
      -- Partner Center's seek token for the next page; not a secret (it only works with a token).
      continuation_token text,
      pages integer NOT NULL DEFAULT 0,
      customers_seen integer NOT NULL DEFAULT 0,
      estimated_total integer,
      total_count integer,
      requests integer NOT NULL DEFAULT 0,
      throttled_count integer NOT NULL DEFAULT 0,
      started_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz,
      error jsonb
    );
    -- At most one running run per partner, whatever the workers do.
    CREATE UNIQUE INDEX sync_runs_one_running_idx ON sync_runs (partner_id) WHERE status = 'running';
    CREATE INDEX sync_runs_partner_idx ON sync_runs (partner_id, seq DESC);
    CREATE INDEX sync_runs_job_idx ON sync_runs (job_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE sync_runs; DROP TABLE customers;`.execute(db);
}
