import { UnavailableError } from '../../lib/errors.ts';

// The vault key: the one key outside the database. It only ever wraps and unwraps the data keys of
// root records; it never sees a credential. Two providers: a local key file (vault.keys.local.ts)
// and Azure Key Vault keys (vault.keys.azure.ts).

export interface WrappedDataKey {
  wrappedKey: Buffer;
  /** The vault key version that wrapped it; stored beside the record. */
  keyVersion: string;
}

export interface VaultKeyVersions {
  active: string;
  /** Versions that can still unwrap (the active one included). */
  usable: string[];
  /** Versions whose key material is gone (local) or disabled (Azure). */
  retired: string[];
}

export interface VaultKeyProvider {
  readonly kind: 'local' | 'azure';
  /**
   * The key ring's identity: random for a local key file (never reused, never "1"), the key's
   * address for Azure. `undefined` when there is no ring yet (local: no key file).
   */
  ringId(): Promise<string | undefined>;
  /**
   * Creates the key ring (local: the key file). Only `vault.ensureKeyRing()` calls it, at start-up,
   * and only for a database that holds no sealed credential: nothing else ever creates keys.
   */
  createRing(): Promise<string>;
  /** From now on, work with this ring only (a key file swapped under the running app fails closed). */
  pin(ringId: string): void;
  /** The version new wraps use. */
  currentVersion(): Promise<string>;
  /** Wraps with the active version. */
  wrap(dataKey: Buffer): Promise<WrappedDataKey>;
  unwrap(wrapped: WrappedDataKey): Promise<Buffer>;
  /** Creates a new version and makes it active; older versions keep unwrapping. */
  rotate(): Promise<{ previous: string; active: string }>;
  /** Destroys (local) or disables (Azure) a version. Callers check that nothing uses it first. */
  retire(version: string): Promise<void>;
  versions(): Promise<VaultKeyVersions>;
}

/** The message every caller shows: plain words, no key material, a retry hint. */
export function vaultUnavailable(detail: string, retryAfterSeconds = 30): UnavailableError {
  return new UnavailableError('VAULT_UNAVAILABLE', `The credential vault is not available right now (${detail}). Nothing was stored or read; try again in a moment.`, retryAfterSeconds);
}
