import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { AppKeysTable, CredentialRow, CredentialsTable } from '../../db/schema.ts';
import { ROOT_FIELD } from './vault.fns.ts';

// The only queries on `credentials`. Other modules go through vault.service.ts.

export type NewCredentialRow = Insertable<CredentialsTable>;
export type MaskedRow = Pick<CredentialRow, 'field' | 'version' | 'hint' | 'expires_at' | 'created_at' | 'rotated_at'>;

/** Every row of the partner (optionally of some fields), newest version of each field first. */
export function allRows(db: DbOrTx, partnerId: string, fields?: string[]): Promise<CredentialRow[]> {
  let query = db.selectFrom('credentials').selectAll().where('partner_id', '=', partnerId);
  if (fields) query = query.where('field', 'in', fields);
  return query.orderBy('field').orderBy('version', 'desc').execute();
}

/** The highest version of each field. */
export function latestPerField<T extends { field: string }>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => (seen.has(row.field) ? false : (seen.add(row.field), true)));
}

/** The partner's current rows (the highest version of each field). */
export async function currentRows(db: DbOrTx, partnerId: string, fields?: string[]): Promise<CredentialRow[]> {
  return latestPerField(await allRows(db, partnerId, fields));
}

/** Fields and the root record in ONE statement, so all come from the same snapshot. */
export function rowsWithRoot(db: DbOrTx, partnerId: string, fields: readonly string[]): Promise<CredentialRow[]> {
  return currentRows(db, partnerId, [...new Set([...fields, ROOT_FIELD])]);
}

export async function allRowIds(db: DbOrTx, partnerId: string): Promise<string[]> {
  const rows = await db.selectFrom('credentials').select('id').where('partner_id', '=', partnerId).execute();
  return rows.map((r) => r.id).sort();
}

/** Serialises credential writes of one partner: the caller's transaction holds the partner row. */
export async function lockPartner(tx: DbOrTx, partnerId: string): Promise<boolean> {
  const row = await tx.selectFrom('partners').select('id').where('id', '=', partnerId).forUpdate().executeTakeFirst();
  return row !== undefined;
}

export async function insertRows(tx: DbOrTx, rows: NewCredentialRow[]): Promise<void> {
  if (rows.length > 0) await tx.insertInto('credentials').values(rows).execute();
}

/** Re-wraps a data key; only if the row still holds what we unwrapped. */
export async function replaceWrappedKey(tx: DbOrTx, id: string, expected: Buffer, wrappedKey: Buffer, at: Date): Promise<boolean> {
  const result = await tx
    .updateTable('credentials')
    .set({ wrapped_key: wrappedKey, rotated_at: at })
    .where('id', '=', id)
    .where('wrapped_key', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteRows(tx: DbOrTx, ids: string[]): Promise<void> {
  if (ids.length > 0) await tx.deleteFrom('credentials').where('id', 'in', ids).execute();
}

export function maskedRows(db: DbOrTx, partnerId: string): Promise<MaskedRow[]> {
  return db
    .selectFrom('credentials')
    .select(['field', 'version', 'hint', 'expires_at', 'created_at', 'rotated_at'])
    .where('partner_id', '=', partnerId)
    .orderBy('field')
    .orderBy('version', 'desc')
    .execute();
}

export type RootToRewrap = Pick<CredentialRow, 'id' | 'partner_id' | 'field' | 'version' | 'wrapped_key' | 'vault_key_version'>;

/** Root records not yet on `activeVersion`, in id order after `afterId` (keyset pagination). */
export function rootsNotOn(db: DbOrTx, activeVersion: string, afterId: string | null, limit: number): Promise<RootToRewrap[]> {
  let query = db
    .selectFrom('credentials')
    .select(['id', 'partner_id', 'field', 'version', 'wrapped_key', 'vault_key_version'])
    .where('wrapping', '=', 'vault')
    .where('vault_key_version', '<>', activeVersion);
  if (afterId) query = query.where('id', '>', afterId);
  return query.orderBy('id').limit(limit).execute();
}

/** The conditional update of rotation: a row a concurrent writer changed is left alone. */
export async function rewrapRoot(tx: DbOrTx, row: RootToRewrap, wrappedKey: Buffer, keyVersion: string, at: Date): Promise<boolean> {
  const result = await tx
    .updateTable('credentials')
    .set({ wrapped_key: wrappedKey, vault_key_version: keyVersion, rotated_at: at })
    .where('id', '=', row.id)
    .where('wrapping', '=', 'vault')
    .where('vault_key_version', '=', row.vault_key_version)
    .where('wrapped_key', '=', row.wrapped_key)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countRootsByVaultKeyVersion(db: Db | DbOrTx): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('credentials')
    .select(['vault_key_version', sql<number>`count(*)::int`.as('n')])
    .where('wrapping', '=', 'vault')
    .groupBy('vault_key_version')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.vault_key_version ?? '', Number(r.n)]));
}

// --- the key ring marker (table vault_key_ring, one row) ---------------------------------------

export function keyRingMarker(db: DbOrTx) {
  return db.selectFrom('vault_key_ring').selectAll().executeTakeFirst();
}

/**
 * Whether anything is sealed under the vault key (a root record, or the app keyring): then no new
 * key ring may be created and the database never follows another ring.
 */
export async function holdsSealedCredentials(db: DbOrTx): Promise<boolean> {
  const row = await db.selectFrom('credentials').select('id').where('wrapping', '=', 'vault').limit(1).executeTakeFirst();
  if (row) return true;
  const appKey = await db.selectFrom('app_keys').select('version').limit(1).executeTakeFirst();
  return appKey !== undefined;
}

export interface NewMarker {
  ring_id: string;
  provider: 'local' | 'azure';
  key_version: string;
  wrapped_check: Buffer;
  check_digest: Buffer;
  created_at: Date;
}

/** The first marker wins; a concurrent start-up's insert does nothing (it then reads the winner). */
export async function insertMarker(db: DbOrTx, marker: NewMarker): Promise<void> {
  await db.insertInto('vault_key_ring').values(marker).onConflict((oc) => oc.column('singleton').doNothing()).execute();
}

/** Replaces the marker, only while it is still the one read (`ringId`) and nothing is sealed under it. */
export async function replaceMarker(db: DbOrTx, ringId: string, marker: NewMarker): Promise<boolean> {
  const result = await db
    .updateTable('vault_key_ring')
    .set(marker)
    .where('ring_id', '=', ringId)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('app_keys').select('version'))))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('credentials').select('id').where('wrapping', '=', 'vault'))))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The check value moved to another key version of the same ring (rotation). */
export async function rewrapMarker(db: DbOrTx, ringId: string, expected: Uint8Array, wrapped: Buffer, keyVersion: string): Promise<boolean> {
  const result = await db
    .updateTable('vault_key_ring')
    .set({ wrapped_check: wrapped, key_version: keyVersion })
    .where('ring_id', '=', ringId)
    .where('wrapped_check', '=', Buffer.from(expected))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function markerVerified(db: DbOrTx, at: Date): Promise<void> {
  await db.updateTable('vault_key_ring').set({ verified_at: at }).execute();
}

// --- the app keyring (table app_keys) ----------------------------------------------------------

export type AppKeyRow = Selectable<AppKeysTable>;

export function appKeys(db: DbOrTx): Promise<AppKeyRow[]> {
  return db.selectFrom('app_keys').selectAll().orderBy('version').execute();
}

export interface NewAppKey {
  version: number;
  kind: 'lookup' | 'seal';
  wrapped_key: Buffer;
  vault_key_version: string;
  active: boolean;
  created_at: Date;
}

/**
 * First keys of a new keyring, only while the database's marker names `ringId`; one statement, so
 * instances starting at once insert them once (the others' insert does nothing).
 */
export async function createAppKeys(db: Db, ringId: string, rows: NewAppKey[]): Promise<'created' | 'exists' | 'other-ring'> {
  const marker = await db.selectFrom('vault_key_ring').select('ring_id').executeTakeFirst();
  if (marker?.ring_id !== ringId) return 'other-ring';
  const result = await db
    .insertInto('app_keys')
    .values(rows)
    .onConflict((oc) => oc.column('version').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0 ? 'created' : 'exists';
}

/** A new active sealing version; the previous active one stays usable. False when another rotation won. */
export async function addActiveAppKey(db: Db, row: NewAppKey, expectedActive: number): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const demoted = await tx.updateTable('app_keys').set({ active: false }).where('active', '=', true).where('version', '=', expectedActive).executeTakeFirst();
    if (Number(demoted.numUpdatedRows) !== 1) return false;
    const inserted = await tx.insertInto('app_keys').values(row).onConflict((oc) => oc.column('version').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new Error('another rotation added the same app key version');
    return true;
  });
}

/** The app key's wrap moved to another vault key version (vault rotation); only if unchanged since read. */
export async function rewrapAppKey(db: DbOrTx, version: number, expected: Uint8Array, wrapped: Buffer, vaultKeyVersion: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('app_keys')
    .set({ wrapped_key: wrapped, vault_key_version: vaultKeyVersion, rotated_at: at })
    .where('version', '=', version)
    .where('wrapped_key', '=', Buffer.from(expected))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Destroys a sealing version's key material. Never the active one, never the lookup root. */
export async function retireAppKey(db: DbOrTx, version: number, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('app_keys')
    .set({ wrapped_key: null, vault_key_version: null, retired_at: at })
    .where('version', '=', version)
    .where('kind', '=', 'seal')
    .where('active', '=', false)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countAppKeysByVaultKeyVersion(db: DbOrTx): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('app_keys')
    .select(['vault_key_version', sql<number>`count(*)::int`.as('n')])
    .where('vault_key_version', 'is not', null)
    .groupBy('vault_key_version')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.vault_key_version ?? '', Number(r.n)]));
}

// --- pending credentials (a partner credential stored before its root) ------------------------

export async function upsertPending(tx: DbOrTx, row: { partner_id: string; field: string; sealed: string; created_at: Date }): Promise<void> {
  await tx
    .insertInto('pending_credentials')
    .values(row)
    .onConflict((oc) => oc.columns(['partner_id', 'field']).doUpdateSet({ sealed: row.sealed, created_at: row.created_at }))
    .execute();
}

export function pendingRow(db: DbOrTx, partnerId: string, field: string) {
  return db.selectFrom('pending_credentials').selectAll().where('partner_id', '=', partnerId).where('field', '=', field).executeTakeFirst();
}

export async function deletePending(tx: DbOrTx, partnerId: string, fields?: string[]): Promise<void> {
  let query = tx.deleteFrom('pending_credentials').where('partner_id', '=', partnerId);
  if (fields) {
    if (fields.length === 0) return;
    query = query.where('field', 'in', fields);
  }
  await query.execute();
}

export function allPending(db: DbOrTx) {
  return db.selectFrom('pending_credentials').selectAll().orderBy('partner_id').orderBy('field').execute();
}

/** Re-sealed under another app key version; only if unchanged since read. */
export async function resealPending(db: DbOrTx, partnerId: string, field: string, expected: string, sealed: string): Promise<boolean> {
  const result = await db.updateTable('pending_credentials').set({ sealed }).where('partner_id', '=', partnerId).where('field', '=', field).where('sealed', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
