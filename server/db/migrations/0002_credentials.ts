import { sql, type Kysely } from 'kysely';

// Encrypted partner credentials (server/modules/vault). Only ciphertext, wrapped data keys and
// masked facts are stored; see server/modules/vault/README.md for what is encrypted under what.
// PostgreSQL 15 dialect: it must run unchanged on PGlite and on the production server.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE credentials (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
      -- Free text so later issues can add fields; the vault checks the same pattern.
      field text NOT NULL CHECK (field ~ '^[a-z][a-z0-9_]{2,62}$'),
      version integer NOT NULL CHECK (version >= 1),
      ciphertext bytea NOT NULL,
      iv bytea NOT NULL CHECK (octet_length(iv) = 12),
      auth_tag bytea NOT NULL CHECK (octet_length(auth_tag) = 16),
      wrapped_key bytea NOT NULL,
      -- 'vault': the data key is wrapped by the vault key (the partner's root record);
      -- 'partner': wrapped by the partner key derived from the root record's plaintext.
      wrapping text NOT NULL CHECK (wrapping IN ('vault', 'partner')),
      vault_key_version text,
      hint text CHECK (hint IS NULL OR length(hint) <= 8),
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      rotated_at timestamptz,
      UNIQUE (partner_id, field, version),
      CHECK ((wrapping = 'vault') = (vault_key_version IS NOT NULL))
    );
    -- Rotation walks the root records still wrapped under an older vault key version.
    CREATE INDEX credentials_vault_key_version_idx ON credentials (vault_key_version, id) WHERE wrapping = 'vault';
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only: restore a backup to go back.');
}
