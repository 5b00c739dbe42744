import { sql, type Kysely } from 'kysely';

// The app keyring (server/modules/vault/vault.appkeys.ts): the keys the application seals its own
// short- and long-lived values with, each wrapped by the vault key like a credential's root data
// key. Version 0 is the lookup root (HMAC keys for stored hashes; never rotated); versions 1, 2, ...
// are sealing keys, one of them active. A retired version loses its key material.
//
// pending_credentials: a partner credential that arrives before the partner's vault root (the Entra
// secret, typed before the Partner Center secret), sealed under the app keyring and owned by the
// vault. It moves into `credentials` in the transaction that stores the root.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE app_keys (
      version integer PRIMARY KEY CHECK (version >= 0),
      kind text NOT NULL CHECK (kind IN ('lookup', 'seal')),
      wrapped_key bytea,
      vault_key_version text,
      active boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      rotated_at timestamptz,
      retired_at timestamptz,
      CHECK ((kind = 'lookup') = (version = 0)),
      CHECK ((retired_at IS NULL) = (wrapped_key IS NOT NULL AND vault_key_version IS NOT NULL)),
      CHECK (NOT (active AND retired_at IS NOT NULL)),
      CHECK (NOT (active AND kind = 'lookup'))
    );
    CREATE UNIQUE INDEX app_keys_one_active ON app_keys (active) WHERE active;

    CREATE TABLE pending_credentials (
      partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
      field text NOT NULL,
      sealed text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (partner_id, field)
    );
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
