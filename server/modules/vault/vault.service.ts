import { createHash, randomBytes } from 'node:crypto';
import type { Db, DbOrTx } from '../../db/database.ts';
import type { CredentialRow } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, ConflictError, NotFoundError, UnavailableError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { createAppKeyring, type AppKeyring, type AppKeyStatus } from './vault.appkeys.ts';
import * as fns from './vault.fns.ts';
import { ROOT_FIELD, VaultIntegrityError, type RecordPlace } from './vault.fns.ts';
import { vaultUnavailable, type VaultKeyProvider, type VaultKeyVersions } from './vault.keys.ts';
import * as repo from './vault.repo.ts';

// The only code that encrypts or decrypts credentials (CONVENTIONS 9; invariants in README.md).
// Key operations (possibly network calls to Azure Key Vault) happen before a transaction opens:
// `seal` does all the cryptography, `insertSealed` only writes bytes inside the caller's transaction.

export interface CredentialInput {
  field: string;
  value: string;
  expiresAt?: Date | null;
}

/** Ciphertext ready to be written; holds no plaintext and no unwrapped key. */
export interface SealedCredentials {
  readonly partnerId: string;
  readonly rows: readonly repo.NewCredentialRow[];
  /** Partner records re-wrapped because the root (and with it the partner key) changed. */
  readonly rewraps: readonly { id: string; expected: Buffer; wrappedKey: Buffer }[];
  /** Older versions the new rows supersede; deleted in the same transaction. */
  readonly supersededIds: readonly string[];
  /** Every credential row of the partner when sealing: anything else means a concurrent writer. */
  readonly basisIds: readonly string[];
  /** The key ring a new root was wrapped under (checked against the database's marker at insert). */
  readonly ringId: string | undefined;
}

/** What operators and APIs may see of a credential. */
export interface MaskedCredential {
  field: string;
  version: number;
  hint: string | null;
  expiresAt: Date | null;
  createdAt: Date;
  rotatedAt: Date | null;
}

export interface RotationSummary {
  previousVersion: string | null;
  activeVersion: string;
  rewrapped: number;
  failed: { partnerId: string; field: string; version: number; reason: string }[];
  /** Root records per vault key version after the run. */
  recordsByKeyVersion: Record<string, number>;
  /** App keys re-wrapped onto the active vault key version. */
  appKeysRewrapped: number;
  /** The app keyring's sealing versions, when this run added one (`rotate`, not `--resume`). */
  appKey?: { previous: number; active: number };
  /** Stored sealed values moved onto the active app key version, per store. */
  resealed: ResealSummary[];
}

export interface VaultStatus extends VaultKeyVersions {
  provider: 'local' | 'azure';
  recordsByKeyVersion: Record<string, number>;
  appKeys: AppKeyStatus;
}

/**
 * Long-lived values another module keeps sealed under the app keyring (operator authenticator
 * secrets): rotation moves them onto the active version, and a version still holding any of them
 * cannot be retired. Short-lived values (outbox link tokens, sign-in state) are not stores: they
 * keep opening under their version until it is retired.
 */
export interface SealedStore {
  /** Plain words for the summary, e.g. "operator authenticator secrets". */
  label: string;
  /** Re-seals every value not under the active version; counts what remains per version afterwards. */
  resealToActive(): Promise<{ resealed: number; byVersion: Record<number, number> }>;
}

export interface ResealSummary {
  label: string;
  resealed: number;
  byVersion: Record<number, number>;
}

/** The app must not start: the vault key in hand is not the one the database's credentials need. */
export class VaultKeyRingError extends Error {
  constructor(
    readonly code: 'VAULT_KEY_RING_MISSING' | 'VAULT_KEY_RING_MISMATCH' | 'VAULT_KEY_RING_CHECK_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'VaultKeyRingError';
  }
}

export interface Vault {
  /**
   * At start-up, before anything is sealed or opened: makes sure the vault key in hand is the key
   * ring the database's credentials are sealed under (its marker: ring id + check value), and pins
   * it. Creates a key ring only when the database holds no sealed credential; otherwise a missing
   * or different key refuses the start with VaultKeyRingError, saying what to restore.
   */
  ensureKeyRing(): Promise<{ ringId: string; created: boolean }>;
  seal(partnerId: string, credentials: CredentialInput[]): Promise<SealedCredentials>;
  /**
   * Writes sealed credentials in the caller's transaction. It locks the partner row (serialising
   * credential writes of one partner): call it first in the transaction to keep lock order simple.
   */
  insertSealed(tx: DbOrTx, sealed: SealedCredentials): Promise<MaskedCredential[]>;
  /** The one path that returns plaintext. */
  open(partnerId: string, field: string): Promise<string>;
  /** Several fields of one partner with a single unwrap by the vault key. */
  openMany<F extends string>(partnerId: string, fields: readonly F[]): Promise<Record<F, string>>;
  replace(partnerId: string, credential: CredentialInput): Promise<MaskedCredential>;
  masked(partnerId: string, db?: DbOrTx): Promise<MaskedCredential[]>;
  /**
   * Offboarding, in the caller's transaction: every record of the partner is destroyed, the root
   * (whose data key only the vault key unwraps, and whose value derives the partner key) with the
   * rest, so nothing of the partner can be opened any more. Returns how many records were destroyed.
   */
  shred(tx: DbOrTx, partnerId: string): Promise<number>;
  /**
   * A new vault key version (roots and app keys re-wrapped onto it) and a new app key version
   * (stored values of `stores` and pending credentials re-sealed under it).
   */
  rotate(options?: { batchSize?: number; stores?: SealedStore[] }): Promise<RotationSummary>;
  /** Finishes an interrupted rotation: re-wraps onto the active vault key, re-seals onto the active app key. */
  rewrapToActive(options?: { batchSize?: number; stores?: SealedStore[] }): Promise<RotationSummary>;
  retire(version: string): Promise<void>;
  /** Retires an app key version once no stored long-lived value needs it (after re-sealing what can be). */
  retireAppKey(version: number, options?: { stores?: SealedStore[] }): Promise<void>;
  status(): Promise<VaultStatus>;
  /**
   * At start-up, after ensureKeyRing: creates the app keyring on a database's first start (lookup
   * root adopted from APP_SECRET, sealing key version 1), or loads it.
   */
  ensureAppKeys(options?: { create?: boolean }): Promise<{ created: boolean; active: number } | undefined>;
  /** Sealing and lookup keys of the application (README "The app keyring"). */
  readonly appKeys: AppKeyring;
  /**
   * A partner credential that arrives before the partner's root (the Entra secret, typed before the
   * Partner Center secret): kept sealed under the app keyring, in the caller's transaction. It moves
   * under the partner's key chain when `insertSealed` writes the same field.
   */
  holdPending(tx: DbOrTx, partnerId: string, field: string, value: string): Promise<void>;
  /** The pending value of a field, or undefined when none is held. */
  openPending(partnerId: string, field: string): Promise<string | undefined>;
  /**
   * A value sealed by a release before the app keyring (format v1, under a key derived from
   * APP_SECRET, `legacyPurpose` its sealing purpose then), held pending from now on.
   */
  holdPendingFromLegacy(tx: DbOrTx, partnerId: string, field: string, legacy: { sealed: string; context: string }): Promise<void>;
}

export interface VaultDeps {
  db: Db;
  keys: VaultKeyProvider;
  /** APP_SECRET: the app keyring's lookup root when it is created, and the key of values sealed before it. */
  appSecret?: Buffer;
  clock: Clock;
  logger: Logger;
  /** Told of every key provider operation and its outcome (metrics). */
  observe?: (operation: string, outcome: 'ok' | 'failed') => void;
}

const CONCURRENT_CHANGE = 'VAULT_CONCURRENT_CHANGE';
/** Refresh tokens run to a few kilobytes; anything far larger is not a credential. */
const MAX_VALUE_LENGTH = 65_536;

export function createVault({ db, keys, clock, logger, observe, appSecret }: VaultDeps): Vault {
  /** Every call to the key provider: anything that is not an integrity failure fails closed as unavailable. */
  async function withKeys<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      const result = await action();
      observe?.(what, 'ok');
      return result;
    } catch (error) {
      observe?.(what, 'failed');
      if (error instanceof UnavailableError || error instanceof VaultIntegrityError) throw error;
      logger.error({ err: error, operation: what, provider: keys.kind }, 'vault key provider failed');
      throw vaultUnavailable(`the ${keys.kind === 'azure' ? 'Azure Key Vault' : 'local key file'} did not answer`);
    }
  }

  const placeOf = (row: Pick<CredentialRow, 'partner_id' | 'field' | 'version'>): RecordPlace => ({ partnerId: row.partner_id, field: row.field, version: row.version });
  const encryptedOf = (row: CredentialRow) => ({ ciphertext: bytes(row.ciphertext), iv: bytes(row.iv), authTag: bytes(row.auth_tag) });

  async function rootDataKey(root: CredentialRow): Promise<Buffer> {
    if (root.wrapping !== 'vault' || !root.vault_key_version) throw new VaultIntegrityError();
    const keyVersion = root.vault_key_version;
    return withKeys('unwrap', () => keys.unwrap({ wrappedKey: bytes(root.wrapped_key), keyVersion }));
  }

  async function partnerKeyFrom(root: CredentialRow): Promise<Buffer> {
    const rootSecret = fns.decryptValue(await rootDataKey(root), encryptedOf(root), placeOf(root));
    return fns.derivePartnerKey(rootSecret, root.partner_id);
  }

  function toMasked(row: repo.MaskedRow | repo.NewCredentialRow): MaskedCredential {
    return {
      field: row.field,
      version: row.version,
      hint: row.hint ?? null,
      expiresAt: row.expires_at ? new Date(row.expires_at) : null,
      createdAt: new Date(row.created_at ?? clock.now()),
      rotatedAt: row.rotated_at ? new Date(row.rotated_at) : null,
    };
  }

  async function seal(partnerId: string, credentials: CredentialInput[]): Promise<SealedCredentials> {
    validateInput(credentials);
    // One statement, one snapshot: the rows we build on and the basis checked at insert agree.
    const all = await repo.allRows(db, partnerId);
    const existing = repo.latestPerField(all);
    const basisIds = all.map((row) => row.id).sort();
    const current = new Map(existing.map((row) => [row.field, row]));
    const currentRoot = current.get(ROOT_FIELD);
    const newRoot = credentials.find((c) => c.field === ROOT_FIELD);
    const now = clock.now();
    const rows: repo.NewCredentialRow[] = [];
    const rewraps: { id: string; expected: Buffer; wrappedKey: Buffer }[] = [];
    const nextVersion = (field: string) => (current.get(field)?.version ?? 0) + 1;

    let partnerKey: Buffer;
    if (newRoot) {
      const place = { partnerId, field: ROOT_FIELD, version: nextVersion(ROOT_FIELD) };
      const dataKey = fns.newDataKey();
      const encrypted = fns.encryptValue(dataKey, newRoot.value, place);
      const wrapped = await withKeys('wrap', () => keys.wrap(dataKey));
      rows.push(newRow(place, encrypted, wrapped.wrappedKey, 'vault', wrapped.keyVersion, newRoot, now));
      partnerKey = fns.derivePartnerKey(newRoot.value, partnerId);
      // The partner key changes with the root: records not replaced now move to the new key.
      const kept = existing.filter((row) => row.field !== ROOT_FIELD && !credentials.some((c) => c.field === row.field));
      if (kept.length > 0) {
        if (!currentRoot) throw new VaultIntegrityError();
        const oldPartnerKey = await partnerKeyFrom(currentRoot);
        for (const row of kept) {
          const dataKeyOfRow = fns.unwrapWithPartnerKey(oldPartnerKey, bytes(row.wrapped_key), placeOf(row));
          rewraps.push({ id: row.id, expected: bytes(row.wrapped_key), wrappedKey: fns.wrapWithPartnerKey(partnerKey, dataKeyOfRow, placeOf(row)) });
        }
      }
    } else {
      if (!currentRoot) {
        throw new ConflictError('VAULT_NO_ROOT', `The Partner Center web app secret (${ROOT_FIELD}) must be stored first: every other credential of the partner is encrypted under a key derived from it.`);
      }
      partnerKey = await partnerKeyFrom(currentRoot);
    }

    for (const credential of credentials) {
      if (credential.field === ROOT_FIELD) continue;
      const place = { partnerId, field: credential.field, version: nextVersion(credential.field) };
      const dataKey = fns.newDataKey();
      const encrypted = fns.encryptValue(dataKey, credential.value, place);
      rows.push(newRow(place, encrypted, fns.wrapWithPartnerKey(partnerKey, dataKey, place), 'partner', null, credential, now));
    }
    const replacedFields = new Set(credentials.map((c) => c.field));
    const supersededIds = existing.filter((row) => replacedFields.has(row.field)).map((row) => row.id);
    // Older versions than the current ones should not exist; if they do, they go too.
    const stale = basisIds.filter((id) => !existing.some((row) => row.id === id));
    return Object.freeze({ partnerId, rows, rewraps, supersededIds: [...supersededIds, ...stale], basisIds, ringId: pinnedRing });
  }

  async function insertSealed(tx: DbOrTx, sealed: SealedCredentials): Promise<MaskedCredential[]> {
    if (!(await repo.lockPartner(tx, sealed.partnerId))) throw new NotFoundError('PARTNER_NOT_FOUND', 'The partner no longer exists.');
    if (sealed.rows.some((row) => row.wrapping === 'vault')) {
      // Only the database's key ring may seal: another instance with another key file would
      // otherwise leave credentials that this database's ring can never open.
      const marker = await repo.keyRingMarker(tx);
      if (!marker || marker.ring_id !== sealed.ringId) {
        logger.error({ ringId: sealed.ringId, databaseRing: marker?.ring_id ?? null }, 'refusing to seal under a key ring the database does not use');
        throw vaultUnavailable(`this instance's vault key ring is not the one the database uses; every instance must use the same key file`, 300);
      }
    }
    const ids = await repo.allRowIds(tx, sealed.partnerId);
    if (ids.length !== sealed.basisIds.length || ids.some((id, i) => id !== sealed.basisIds[i])) throw concurrentChange();
    await repo.deleteRows(tx, [...sealed.supersededIds]);
    await repo.insertRows(tx, [...sealed.rows]);
    // A credential held pending its root now lives under the partner's key chain: the pending copy goes.
    await repo.deletePending(tx, sealed.partnerId, sealed.rows.map((row) => row.field));
    const at = clock.now();
    for (const rewrap of sealed.rewraps) {
      if (!(await repo.replaceWrappedKey(tx, rewrap.id, rewrap.expected, rewrap.wrappedKey, at))) throw concurrentChange();
    }
    logger.info({ partnerId: sealed.partnerId, fields: sealed.rows.map((r) => `${r.field}@${r.version}`), rewrapped: sealed.rewraps.length }, 'credentials stored');
    return sealed.rows.map(toMasked);
  }

  /** Fields and the root come from one statement (one snapshot); the root is unwrapped once. */
  async function openMany<F extends string>(partnerId: string, fields: readonly F[]): Promise<Record<F, string>> {
    fields.forEach(fns.assertField);
    // One retry: a root replaced between our read and the unwrap is found on the second read.
    for (let attempt = 0; ; attempt++) {
      const rows = await repo.rowsWithRoot(db, partnerId, fields);
      try {
        return await decryptFields(partnerId, rows, fields);
      } catch (error) {
        if (attempt > 0 || !(error instanceof AppError) || error instanceof NotFoundError) throw error;
        const again = await repo.rowsWithRoot(db, partnerId, fields);
        const unchanged = again.length === rows.length && again.every((r, i) => r.id === rows[i]!.id && bytes(r.wrapped_key).equals(bytes(rows[i]!.wrapped_key)));
        if (unchanged) {
          if (error instanceof VaultIntegrityError) logger.error({ partnerId, fields }, 'stored credential failed its integrity check');
          throw error;
        }
      }
    }
  }

  async function decryptFields<F extends string>(partnerId: string, rows: CredentialRow[], fields: readonly F[]): Promise<Record<F, string>> {
    const root = rows.find((r) => r.field === ROOT_FIELD);
    const wanted = fields.map((field) => {
      const row = rows.find((r) => r.field === field);
      if (!row) throw new NotFoundError('CREDENTIAL_NOT_FOUND', `No ${field} is stored for this partner.`);
      return row;
    });
    if (!root) throw new VaultIntegrityError();
    const rootDataKeyValue = await rootDataKey(root);
    const rootSecret = fns.decryptValue(rootDataKeyValue, encryptedOf(root), placeOf(root));
    const partnerKey = wanted.some((row) => row.field !== ROOT_FIELD) ? fns.derivePartnerKey(rootSecret, partnerId) : undefined;
    const values = {} as Record<F, string>;
    for (const row of wanted) {
      if (row.field === ROOT_FIELD) {
        values[row.field as F] = rootSecret;
        continue;
      }
      if (row.wrapping !== 'partner' || !partnerKey) throw new VaultIntegrityError();
      const dataKey = fns.unwrapWithPartnerKey(partnerKey, bytes(row.wrapped_key), placeOf(row));
      values[row.field as F] = fns.decryptValue(dataKey, encryptedOf(row), placeOf(row));
      dataKey.fill(0);
    }
    rootDataKeyValue.fill(0);
    partnerKey?.fill(0);
    return values;
  }

  async function replace(partnerId: string, credential: CredentialInput): Promise<MaskedCredential> {
    for (let attempt = 1; ; attempt++) {
      const sealed = await seal(partnerId, [credential]);
      try {
        const [masked] = await db.transaction().execute((tx) => insertSealed(tx, sealed));
        return masked!;
      } catch (error) {
        const retryable = (error instanceof ConflictError && error.code === CONCURRENT_CHANGE) || isUniqueViolation(error);
        if (!retryable || attempt >= 3) throw error;
      }
    }
  }

  async function masked(partnerId: string, from: DbOrTx = db): Promise<MaskedCredential[]> {
    const rows = await repo.maskedRows(from, partnerId);
    return repo.latestPerField(rows).map(toMasked);
  }

  async function rewrapToActive(options: { batchSize?: number; stores?: SealedStore[] } = {}, previousVersion: string | null = null, appKey?: RotationSummary['appKey']): Promise<RotationSummary> {
    const batchSize = options.batchSize ?? 100;
    let activeVersion = await withKeys('currentVersion', () => keys.currentVersion());
    let rewrapped = 0;
    const failed: RotationSummary['failed'] = [];
    const failedIds = new Set<string>();
    // Passes over the roots not on the active version; a row a concurrent writer changed is
    // simply seen again on the next pass. Rows that cannot be unwrapped are reported, not retried.
    for (let pass = 0; pass < 5; pass++) {
      let cursor: string | null = null;
      let movedThisPass = 0;
      let pending = 0;
      for (;;) {
        activeVersion = await withKeys('currentVersion', () => keys.currentVersion());
        const batch = await repo.rootsNotOn(db, activeVersion, cursor, batchSize);
        if (batch.length === 0) break;
        cursor = batch.at(-1)!.id;
        const updates: { row: repo.RootToRewrap; wrappedKey: Buffer; keyVersion: string }[] = [];
        for (const row of batch) {
          if (failedIds.has(row.id)) continue;
          try {
            const dataKey = await withKeys('unwrap', () => keys.unwrap({ wrappedKey: bytes(row.wrapped_key), keyVersion: row.vault_key_version! }));
            const wrapped = await withKeys('wrap', () => keys.wrap(dataKey));
            // Check the new wrap before it replaces the only copy of the old one.
            const check = await withKeys('unwrap', () => keys.unwrap(wrapped));
            if (!check.equals(dataKey)) throw new VaultIntegrityError('vault-key');
            updates.push({ row, ...wrapped });
          } catch (error) {
            if (error instanceof UnavailableError) throw error;
            failedIds.add(row.id);
            failed.push({ partnerId: row.partner_id, field: row.field, version: row.version, reason: error instanceof AppError ? error.code : 'UNEXPECTED' });
          }
        }
        const at = clock.now();
        const moved = await db.transaction().execute(async (tx) => {
          let n = 0;
          for (const u of updates) if (await repo.rewrapRoot(tx, { ...u.row, wrapped_key: bytes(u.row.wrapped_key) }, u.wrappedKey, u.keyVersion, at)) n++;
          return n;
        });
        movedThisPass += moved;
        pending += updates.length - moved;
        logger.info({ batch: batch.length, moved, activeVersion }, 'vault rotation batch');
      }
      rewrapped += movedThisPass;
      if (pending === 0) break;
    }
    const appKeysRewrapped = await appKeys.rewrapToActiveVaultKey();
    await rewrapMarker();
    const recordsByKeyVersion = await repo.countRootsByVaultKeyVersion(db);
    if (failed.length > 0) logger.error({ failed }, 'vault rotation left records it could not unwrap');
    const resealed = await resealStores(options.stores ?? []);
    return { previousVersion, activeVersion, rewrapped, failed, recordsByKeyVersion, appKeysRewrapped, ...(appKey ? { appKey } : {}), resealed };
  }

  async function newMarker(ringId: string): Promise<repo.NewMarker> {
    const secret = randomBytes(32);
    const wrapped = await withKeys('wrap', () => keys.wrap(secret));
    return { ring_id: ringId, provider: keys.kind, key_version: wrapped.keyVersion, wrapped_check: wrapped.wrappedKey, check_digest: createHash('sha256').update(secret).digest(), created_at: clock.now() };
  }

  let pinnedRing: string | undefined;

  // The app keyring reaches the vault key through withKeys, so it fails closed like every vault operation.
  const guardedKeys: VaultKeyProvider = {
    ...keys,
    kind: keys.kind,
    wrap: (dataKey) => withKeys('wrap', () => keys.wrap(dataKey)),
    unwrap: (wrapped) => withKeys('unwrap', () => keys.unwrap(wrapped)),
    currentVersion: () => withKeys('currentVersion', () => keys.currentVersion()),
  };
  const appKeys = createAppKeyring({ db, keys: guardedKeys, clock, logger, ringId: () => pinnedRing, legacySecret: appSecret });
  const pendingSealer = appKeys.sealer('pending-credential');
  const pendingContext = (partnerId: string, field: string) => `pending-credential:${partnerId}:${field}`;

  /** Pending credentials are the vault's own long-lived store under the app keyring. */
  const pendingStore: SealedStore = {
    label: 'pending partner credentials',
    async resealToActive() {
      const activeVersion = appKeys.activeVersion();
      let resealed = 0;
      for (const row of await repo.allPending(db)) {
        if (appKeys.versionOf(row.sealed) === activeVersion) continue;
        const context = pendingContext(row.partner_id, row.field);
        const again = pendingSealer.seal(pendingSealer.open(row.sealed, context), context);
        if (await repo.resealPending(db, row.partner_id, row.field, row.sealed, again)) resealed++;
      }
      const byVersion: Record<number, number> = {};
      for (const row of await repo.allPending(db)) {
        const version = appKeys.versionOf(row.sealed) ?? -1;
        byVersion[version] = (byVersion[version] ?? 0) + 1;
      }
      return { resealed, byVersion };
    },
  };

  async function resealStores(stores: SealedStore[]): Promise<ResealSummary[]> {
    const out: ResealSummary[] = [];
    if (!appKeys.loaded()) return out;
    for (const store of [pendingStore, ...stores]) out.push({ label: store.label, ...(await store.resealToActive()) });
    return out;
  }

  async function ensureKeyRing(): Promise<{ ringId: string; created: boolean }> {
    const where = keys.kind === 'local' ? 'the vault key file (VAULT_KEY_FILE)' : 'the Azure Key Vault key (AZURE_KEY_VAULT_URL, AZURE_KEY_NAME)';
    let marker = await repo.keyRingMarker(db);
    const sealed = await repo.holdsSealedCredentials(db);
    let ringId = await withKeys('ringId', () => keys.ringId());
    let created = false;

    if (!ringId) {
      if (sealed) {
        throw new VaultKeyRingError(
          'VAULT_KEY_RING_MISSING',
          `The vault key is missing: ${where} does not exist, but this database holds values sealed under key ring ${marker?.ring_id ?? '(created before key ring markers)'}${marker ? `, created ${new Date(marker.created_at).toISOString()}` : ''}. ` +
            'Restore the key file from your backup (or mount the volume that holds it) and start again. A new key ring is never created while sealed credentials exist: they could never be opened again.',
        );
      }
      ringId = await withKeys('createRing', () => keys.createRing());
      created = true;
      logger.info({ ringId, provider: keys.kind }, 'vault key ring created (the database holds no sealed credential)');
    }

    if (!marker) {
      if (sealed) {
        // Credentials sealed before markers existed: this ring must open one of them to be adopted.
        const root = await db.selectFrom('credentials').selectAll().where('wrapping', '=', 'vault').orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
        try {
          await rootDataKey(root);
        } catch (error) {
          throw new VaultKeyRingError(
            'VAULT_KEY_RING_MISMATCH',
            `${where} does not open the partner credentials this database holds (${error instanceof Error ? error.message : String(error)}). Put the key file (or key) they were sealed with in place and start again.`,
          );
        }
      }
      await repo.insertMarker(db, await newMarker(ringId));
      marker = await repo.keyRingMarker(db);
      if (!marker) throw new Error('the vault key ring marker could not be written');
    }

    if (marker.ring_id !== ringId) {
      if (sealed) {
        throw new VaultKeyRingError(
          'VAULT_KEY_RING_MISMATCH',
          `${where} holds key ring ${ringId}, but this database's partner credentials and app keys are sealed under key ring ${marker.ring_id} (created ${new Date(marker.created_at).toISOString()}). ` +
            'Every instance must use the same key ring: put the right key file in place (or point every instance at the same one) and start again.',
        );
      }
      // Nothing is sealed yet: this database simply follows the ring in hand.
      if (!(await repo.replaceMarker(db, marker.ring_id, await newMarker(ringId)))) throw new Error('the vault key ring marker changed during start-up; start again');
      marker = (await repo.keyRingMarker(db))!;
    }

    // Ring ids match; prove the keys are that ring's keys.
    try {
      const secret = await withKeys('unwrap', () => keys.unwrap({ wrappedKey: bytes(marker.wrapped_check), keyVersion: marker.key_version }));
      if (!createHash('sha256').update(secret).digest().equals(bytes(marker.check_digest))) throw new VaultIntegrityError('vault-key');
    } catch (error) {
      throw new VaultKeyRingError(
        'VAULT_KEY_RING_CHECK_FAILED',
        `${where} is key ring ${ringId}, but its key version ${marker.key_version} does not open the check value stored with the database (${error instanceof AppError ? error.code : 'unexpected error'}). The key file may be damaged or an old copy: restore the latest backup of it and start again.`,
      );
    }
    keys.pin(ringId);
    pinnedRing = ringId;
    await repo.markerVerified(db, clock.now());
    logger.info({ ringId, provider: keys.kind, created }, 'vault key ring checked');
    return { ringId, created };
  }

  /** Rotation moves the marker's check value onto the active version too, so retiring an old version never strands it. */
  async function rewrapMarker(): Promise<void> {
    const marker = await repo.keyRingMarker(db);
    if (!marker) return;
    const active = await withKeys('currentVersion', () => keys.currentVersion());
    if (marker.key_version === active) return;
    const secret = await withKeys('unwrap', () => keys.unwrap({ wrappedKey: bytes(marker.wrapped_check), keyVersion: marker.key_version }));
    const wrapped = await withKeys('wrap', () => keys.wrap(secret));
    await repo.rewrapMarker(db, marker.ring_id, marker.wrapped_check, wrapped.wrappedKey, wrapped.keyVersion);
  }

  return {
    ensureKeyRing,
    seal,
    insertSealed,
    open: async (partnerId, field) => (await openMany(partnerId, [field]))[field]!,
    openMany,
    replace,
    masked,
    async shred(tx, partnerId) {
      if (!(await repo.lockPartner(tx, partnerId))) throw new NotFoundError('PARTNER_NOT_FOUND', 'The partner no longer exists.');
      const ids = await repo.allRowIds(tx, partnerId);
      await repo.deleteRows(tx, ids);
      await repo.deletePending(tx, partnerId);
      return ids.length;
    },
    rewrapToActive: (options) => rewrapToActive(options),
    async rotate(options) {
      const { previous, active } = await withKeys('rotate', () => keys.rotate());
      logger.info({ previous, active, provider: keys.kind }, 'vault key rotated; re-wrapping root records');
      const appKey = await appKeys.rotate();
      return rewrapToActive(options, previous, appKey ?? undefined);
    },
    async retire(version) {
      const versions = await withKeys('versions', () => keys.versions());
      if (version === versions.active) throw new ConflictError('VAULT_KEY_ACTIVE', `Vault key version ${version} is the active version. Rotate first, then retire it.`);
      const inUse = ((await repo.countRootsByVaultKeyVersion(db))[version] ?? 0) + ((await repo.countAppKeysByVaultKeyVersion(db))[version] ?? 0);
      if (inUse > 0) {
        throw new ConflictError('VAULT_KEY_IN_USE', `Vault key version ${version} still wraps ${inUse} record(s). Run \`npm run vault:rotate\` until none remain, then retire it.`, { records: inUse });
      }
      const marker = await repo.keyRingMarker(db);
      if (marker?.key_version === version) await rewrapMarker();
      await withKeys('retire', () => keys.retire(version));
      // A seal that wrapped under the old version just before rotation could commit in between.
      const after = (await repo.countRootsByVaultKeyVersion(db))[version] ?? 0;
      if (after > 0) logger.error({ version, records: after }, 'records were written under a vault key version while it was being retired');
      logger.info({ version, provider: keys.kind }, 'vault key version retired');
    },
    async status() {
      const versions = await withKeys('versions', () => keys.versions());
      await appKeys.refresh();
      return { provider: keys.kind, ...versions, recordsByKeyVersion: await repo.countRootsByVaultKeyVersion(db), appKeys: appKeys.loaded() ? appKeys.status() : { active: 0, usable: [], retired: [] } };
    },
    async retireAppKey(version, options = {}) {
      await appKeys.refresh();
      if (!appKeys.loaded()) throw new ConflictError('APP_KEY_UNKNOWN', 'This database has no app keyring yet: the app creates it at its first start.');
      if (version === appKeys.activeVersion()) throw new ConflictError('APP_KEY_ACTIVE', `App key version ${version} is the active version. Rotate first, then retire it.`);
      const stores = await resealStores(options.stores ?? []);
      const holding = stores.filter((s) => (s.byVersion[version] ?? 0) > 0);
      if (holding.length > 0) {
        const what = holding.map((s) => `${s.byVersion[version]} ${s.label}`).join(', ');
        throw new ConflictError('APP_KEY_IN_USE', `App key version ${version} still seals ${what} that could not be moved to the active version. Run \`npm run vault:rotate -- --resume\`, then retire it.`);
      }
      await appKeys.retire(version);
    },
    ensureAppKeys: (options) => appKeys.ensure(options),
    appKeys,
    async holdPending(tx, partnerId, field, value) {
      validateInput([{ field, value }]);
      await repo.upsertPending(tx, { partner_id: partnerId, field, sealed: pendingSealer.seal(value, pendingContext(partnerId, field)), created_at: clock.now() });
      logger.info({ partnerId, field }, 'credential held until the partner\'s vault root is stored');
    },
    async holdPendingFromLegacy(tx, partnerId, field, legacy) {
      const value = pendingSealer.open(legacy.sealed, legacy.context);
      await repo.upsertPending(tx, { partner_id: partnerId, field, sealed: pendingSealer.seal(value, pendingContext(partnerId, field)), created_at: clock.now() });
      logger.info({ partnerId, field }, 'credential sealed before the app keyring moved into the vault');
    },
    async openPending(partnerId, field) {
      const row = await repo.pendingRow(db, partnerId, field);
      return row ? pendingSealer.open(row.sealed, pendingContext(partnerId, field)) : undefined;
    },
  };
}

function newRow(place: RecordPlace, encrypted: fns.EncryptedValue, wrappedKey: Buffer, wrapping: 'vault' | 'partner', vaultKeyVersion: string | null, input: CredentialInput, now: Date): repo.NewCredentialRow {
  return {
    partner_id: place.partnerId,
    field: place.field,
    version: place.version,
    ciphertext: encrypted.ciphertext,
    iv: encrypted.iv,
    auth_tag: encrypted.authTag,
    wrapped_key: wrappedKey,
    wrapping,
    vault_key_version: vaultKeyVersion,
    hint: fns.hintFor(place.field, input.value),
    expires_at: input.expiresAt ?? null,
    created_at: now,
    rotated_at: null,
  };
}

function validateInput(credentials: CredentialInput[]): void {
  const problems = credentials.flatMap((c, i) => {
    const out: { path: string; message: string }[] = [];
    if (!fns.FIELD_PATTERN.test(c.field)) out.push({ path: `credentials.${i}.field`, message: `must match ${fns.FIELD_PATTERN}` });
    if (typeof c.value !== 'string' || c.value.length === 0) out.push({ path: `credentials.${i}.value`, message: 'must not be empty' });
    else if (c.value.length > MAX_VALUE_LENGTH) out.push({ path: `credentials.${i}.value`, message: `must be at most ${MAX_VALUE_LENGTH} characters` });
    if (credentials.findIndex((other) => other.field === c.field) !== i) out.push({ path: `credentials.${i}.field`, message: 'appears twice' });
    return out;
  });
  if (credentials.length === 0) problems.push({ path: 'credentials', message: 'nothing to store' });
  if (problems.length > 0) throw new ValidationError('The credentials to store are not valid.', problems);
}

function concurrentChange(): ConflictError {
  return new ConflictError(CONCURRENT_CHANGE, "The partner's credentials changed while these were being prepared. Try again.");
}

/** PGlite returns bytea as Uint8Array, node-postgres as Buffer. */
function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
