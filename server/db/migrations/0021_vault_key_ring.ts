import { sql, type Kysely } from 'kysely';

// The vault key ring this database's credentials are sealed under (server/modules/vault). One row:
// the ring's id and a check value (a random secret wrapped by the ring's key, and its SHA-256), so a
// start-up can prove the key file or Key Vault key in hand is that ring. A new ring is created only
// while the database holds no sealed credential; otherwise the app refuses to start.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE vault_key_ring (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      ring_id text NOT NULL,
      provider text NOT NULL CHECK (provider IN ('local', 'azure')),
      key_version text NOT NULL,
      wrapped_check bytea NOT NULL,
      check_digest bytea NOT NULL CHECK (octet_length(check_digest) = 32),
      created_at timestamptz NOT NULL,
      verified_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE vault_key_ring`.execute(db);
}
