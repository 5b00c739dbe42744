import { sql, type Kysely } from 'kysely';

// The outbox is the source of truth for email. Each row knows the job that should send it
// (`job_id`), so a sweeper can find rows whose job is gone or failed and queue them again after
// `next_attempt_at` (capped backoff, for days). `sending` marks the attempt in progress before the
// SMTP call (`sending_since`); acceptance is recorded with the server's answer (`smtp_response`) in
// one statement. A row the mail server refused for good is `failed` (`failed_at`, `last_error`).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
    ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending','sending','sent','failed'));
    ALTER TABLE outbox ADD COLUMN job_id uuid;
    ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
    ALTER TABLE outbox ADD COLUMN sending_since timestamptz;
    ALTER TABLE outbox ADD COLUMN smtp_response text;
    ALTER TABLE outbox ADD COLUMN failed_at timestamptz;
    DROP INDEX IF EXISTS outbox_pending_idx;
    CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE status IN ('pending','sending');
    CREATE INDEX outbox_failed_idx ON outbox (failed_at) WHERE status = 'failed';
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS outbox_failed_idx;
    DROP INDEX IF EXISTS outbox_unsent_idx;
    UPDATE outbox SET status = 'pending' WHERE status = 'sending';
    ALTER TABLE outbox DROP COLUMN failed_at, DROP COLUMN smtp_response, DROP COLUMN sending_since, DROP COLUMN next_attempt_at, DROP COLUMN job_id;
    ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
    ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending','sent','failed'));
    CREATE INDEX outbox_pending_idx ON outbox (created_at) WHERE status = 'pending';
  `.execute(db);
}
