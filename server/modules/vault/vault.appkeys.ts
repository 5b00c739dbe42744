import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, UnavailableError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import * as fns from './vault.appkeys.fns.ts';
import type { LookupPurpose, SealPurpose } from './vault.appkeys.fns.ts';
import type { VaultKeyProvider } from './vault.keys.ts';
import * as repo from './vault.repo.ts';

// The app keyring: every key the application seals its own values with, and every lookup key,
// derived in one place (vault.appkeys.fns.ts). The keys live in `app_keys`, each wrapped by the
// vault key (key file or Azure Key Vault), so they are covered by the vault's key ring marker and
// a database dump alone opens nothing. Loaded into memory at start-up (sealing and opening are then
// synchronous, safe inside transactions); every instance re-reads the table every 30 seconds to
// learn versions another process added or retired (`npm run vault:rotate`).

/** How often a running instance re-reads the keyring. */
export const APP_KEY_REFRESH_MS = 30_000;
/** A version may be retired only this long after it stopped being active: every instance has moved on by then. */
export const APP_KEY_RETIRE_GRACE_MS = 2 * APP_KEY_REFRESH_MS;

export interface AppSealer {
  seal(plaintext: string, context: string): string;
  /** Throws when the value is damaged, moved, or sealed under a version that is retired or unknown here. */
  open(sealed: string, context: string): string;
}

export interface AppKeyStatus {
  active: number;
  usable: number[];
  retired: number[];
}

export interface AppKeyring {
  /**
   * At start-up, after the vault's ensureKeyRing: creates the keyring (first start of a database) or
   * loads it. `create: false` (tools beside the app): only loads; undefined when there is none yet.
   */
  ensure(options?: { create?: boolean }): Promise<{ created: boolean; active: number } | undefined>;
  /** Whether a keyring is loaded (false only in a tool run on a database the app never started on). */
  loaded(): boolean;
  sealer(purpose: SealPurpose): AppSealer;
  lookupKey(purpose: LookupPurpose): Buffer;
  activeVersion(): number;
  /** The key version a sealed value is under (0: the format from before the keyring), undefined if it is none. */
  versionOf(sealed: string): number | undefined;
  refresh(): Promise<void>;
  /** Re-reads the keyring every APP_KEY_REFRESH_MS until the returned function is called. */
  startRefreshing(): () => void;
  /** Adds a sealing version and makes it active (undefined when there is no keyring yet). */
  rotate(): Promise<{ previous: number; active: number } | undefined>;
  /** Destroys an old sealing version's key material (callers first move long-lived values off it). */
  retire(version: number): Promise<void>;
  /** Re-wraps every app key under the active vault key version; returns how many moved. */
  rewrapToActiveVaultKey(): Promise<number>;
  status(): AppKeyStatus;
}

export interface AppKeyringDeps {
  db: Db;
  keys: VaultKeyProvider;
  clock: Clock;
  logger: Logger;
  /** The ring the vault pinned at start-up (vault.ensureKeyRing). */
  ringId: () => string | undefined;
  /**
   * APP_SECRET: the lookup root of a new keyring (so hashes stored before it stay valid), and the
   * key of values sealed before the keyring existed (format v1). Unneeded once those are gone.
   */
  legacySecret: Buffer | undefined;
}

export function createAppKeyring({ db, keys, clock, logger, ringId, legacySecret }: AppKeyringDeps): AppKeyring {
  let lookupRoot: Buffer | undefined;
  const sealingRoots = new Map<number, Buffer>();
  let active: number | undefined;
  let retired = new Set<number>();
  const derived = new Map<string, Buffer>();

  function requireLoaded(): { lookupRoot: Buffer; active: number } {
    if (!lookupRoot || active === undefined) throw new Error('the app keyring is not loaded: vault.ensureAppKeys() runs at start-up');
    return { lookupRoot, active };
  }

  function sealKey(version: number, purpose: SealPurpose): Buffer | undefined {
    const name = `${version}:${purpose}`;
    const cached = derived.get(name);
    if (cached) return cached;
    const root = sealingRoots.get(version);
    if (!root) return undefined;
    const key = fns.sealKeyOf(root, purpose);
    derived.set(name, key);
    return key;
  }

  async function load(): Promise<void> {
    const rows = await repo.appKeys(db);
    const seen = new Set<number>();
    for (const row of rows) {
      if (row.retired_at || !row.wrapped_key || !row.vault_key_version) continue;
      seen.add(row.version);
      if (row.kind === 'lookup' ? lookupRoot : sealingRoots.has(row.version)) continue;
      const key = await keys.unwrap({ wrappedKey: Buffer.from(row.wrapped_key), keyVersion: row.vault_key_version });
      if (row.kind === 'lookup') lookupRoot = key;
      else sealingRoots.set(row.version, key);
    }
    for (const version of [...sealingRoots.keys()]) {
      if (seen.has(version)) continue;
      sealingRoots.get(version)!.fill(0);
      sealingRoots.delete(version);
      for (const name of [...derived.keys()]) if (name.startsWith(`${version}:`)) derived.delete(name);
    }
    retired = new Set(rows.filter((r) => r.retired_at).map((r) => r.version));
    const activeRow = rows.find((r) => r.active);
    if (activeRow) active = activeRow.version;
  }

  let refreshing: Promise<void> | undefined;
  function refresh(): Promise<void> {
    refreshing ??= load().finally(() => (refreshing = undefined));
    return refreshing;
  }

  async function wrapNew(version: number, kind: 'lookup' | 'seal', key: Buffer, isActive: boolean): Promise<repo.NewAppKey> {
    const wrapped = await keys.wrap(key);
    return { version, kind, wrapped_key: wrapped.wrappedKey, vault_key_version: wrapped.keyVersion, active: isActive, created_at: clock.now() };
  }

  return {
    async ensure(options = {}) {
      const existing = await repo.appKeys(db);
      let created = false;
      if (existing.length === 0) {
        if (options.create === false) return undefined;
        const ring = ringId();
        if (!ring) throw new Error('the vault key ring is not checked yet: vault.ensureKeyRing() runs first');
        if (!legacySecret) throw new Error('APP_SECRET is needed once, to create the app keyring: start the app first (npm start)');
        // The lookup root is APP_SECRET itself: every lookup key derives as it did before the keyring.
        const rows = [await wrapNew(0, 'lookup', legacySecret, false), await wrapNew(1, 'seal', fns.newAppKey(), true)];
        const outcome = await repo.createAppKeys(db, ring, rows);
        if (outcome === 'other-ring') throw new UnavailableError('VAULT_UNAVAILABLE', 'The database now follows another vault key ring (another instance started with its own key file). Every instance must use the same key file: start again with it.', 300);
        created = outcome === 'created';
        if (created) logger.info({ ringId: ring }, 'app keyring created (lookup root from APP_SECRET, sealing key version 1)');
      }
      await load();
      const { active: current } = requireLoaded();
      return { created, active: current };
    },

    sealer(purpose) {
      return {
        seal(plaintext, context) {
          const { active: version } = requireLoaded();
          return fns.sealWith(sealKey(version, purpose)!, version, plaintext, context);
        },
        open(sealed, context) {
          const envelope = fns.parseEnvelope(sealed);
          if (!envelope) throw new Error('the sealed value has an unknown format');
          if (envelope.format === 'v1') {
            const name = fns.legacySealNames[purpose];
            if (!legacySecret || !name) throw new Error('the sealed value predates the app keyring and no APP_SECRET opens it');
            return fns.openWith(fns.deriveAppKey(legacySecret, name), envelope, context);
          }
          const key = sealKey(envelope.version, purpose);
          if (key) return fns.openWith(key, envelope, context);
          if (retired.has(envelope.version)) throw new Error(`the value was sealed under app key version ${envelope.version}, which is retired`);
          // Another process may have just added this version: look again soon.
          void refresh().catch((error: unknown) => logger.warn({ err: error }, 'app keyring refresh failed'));
          throw new UnavailableError('APP_KEY_UNAVAILABLE', 'This server has not loaded the newest application key yet. Try again in a moment.', 5);
        },
      };
    },

    lookupKey(purpose) {
      const cached = derived.get(`lookup:${purpose}`);
      if (cached) return cached;
      const key = fns.lookupKeyOf(requireLoaded().lookupRoot, purpose);
      derived.set(`lookup:${purpose}`, key);
      return key;
    },

    activeVersion: () => requireLoaded().active,
    loaded: () => lookupRoot !== undefined && active !== undefined,
    versionOf: fns.envelopeVersion,
    refresh,

    startRefreshing() {
      const timer = setInterval(() => void refresh().catch((error: unknown) => logger.warn({ err: error }, 'app keyring refresh failed')), APP_KEY_REFRESH_MS);
      timer.unref();
      return () => clearInterval(timer);
    },

    async rotate() {
      await load();
      if (active === undefined) return undefined;
      const { active: previous } = requireLoaded();
      const rows = await repo.appKeys(db);
      const next = Math.max(...rows.map((r) => r.version)) + 1;
      const key = fns.newAppKey();
      const row = await wrapNew(next, 'seal', key, true);
      if (!(await repo.addActiveAppKey(db, row, previous))) {
        throw new ConflictError('APP_KEY_ROTATION_CONFLICT', 'Another rotation changed the app keyring at the same time. Run `npm run vault:rotate -- --status` and try again.');
      }
      sealingRoots.set(next, key);
      active = next;
      logger.info({ previous, active: next }, 'app key rotated');
      return { previous, active: next };
    },

    async retire(version) {
      await load();
      const rows = await repo.appKeys(db);
      const row = rows.find((r) => r.version === version && r.kind === 'seal');
      if (!row) throw new ConflictError('APP_KEY_UNKNOWN', `There is no app key version ${version}. \`npm run vault:rotate -- --status\` lists them.`);
      if (row.active) throw new ConflictError('APP_KEY_ACTIVE', `App key version ${version} is the active version. Rotate first, then retire it.`);
      if (row.retired_at) return;
      const successor = rows.find((r) => r.version > version && r.kind === 'seal');
      const since = successor ? clock.now().getTime() - new Date(successor.created_at).getTime() : Infinity;
      if (since < APP_KEY_RETIRE_GRACE_MS) {
        const at = new Date(new Date(successor!.created_at).getTime() + APP_KEY_RETIRE_GRACE_MS);
        throw new ConflictError('APP_KEY_RECENT', `App key version ${version} was active until ${new Date(successor!.created_at).toISOString()}; running instances may still seal with it for ${APP_KEY_REFRESH_MS / 1000} seconds. Retire it after ${at.toISOString()}.`);
      }
      await repo.retireAppKey(db, version, clock.now());
      await load();
      logger.info({ version }, 'app key version retired');
    },

    async rewrapToActiveVaultKey() {
      const vaultVersion = await keys.currentVersion();
      let moved = 0;
      for (const row of await repo.appKeys(db)) {
        if (!row.wrapped_key || !row.vault_key_version || row.vault_key_version === vaultVersion) continue;
        const key = await keys.unwrap({ wrappedKey: Buffer.from(row.wrapped_key), keyVersion: row.vault_key_version });
        const wrapped = await keys.wrap(key);
        const check = await keys.unwrap(wrapped);
        if (!check.equals(key)) throw new Error('a re-wrapped app key did not unwrap to the same key');
        if (await repo.rewrapAppKey(db, row.version, row.wrapped_key, wrapped.wrappedKey, wrapped.keyVersion, clock.now())) moved++;
      }
      return moved;
    },

    status() {
      const { active: current } = requireLoaded();
      return { active: current, usable: [...sealingRoots.keys()].sort((a, b) => a - b), retired: [...retired].sort((a, b) => a - b) };
    },
  };
}
