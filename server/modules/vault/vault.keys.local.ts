import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { UnavailableError } from '../../lib/errors.ts';
import { VaultIntegrityError } from './vault.fns.ts';
import { vaultUnavailable, type VaultKeyProvider, type VaultKeyVersions, type WrappedDataKey } from './vault.keys.ts';

// The default vault key provider: a JSON key ring in a file only this user may read (0600).
// Keys wrap data keys with AES-256 key wrap with padding (RFC 5649, `id-aes256-wrap-pad`), whose
// integrity check also tells a wrong key from a right one. The app and `npm run vault:rotate` run
// as separate processes: every operation re-reads the file when it changed on disk, and writes
// take a lock file and replace the file atomically.
//
// The ring has a random id, and every key version a random name (`v<n>-<96 random bits>`): two
// rings never share a version name, so a record can never be "opened" by another ring's key of
// the same name. The ring is created by `createRing()` only (at start-up, when the database holds
// no sealed credential: see vault.ensureKeyRing); a missing file is never replaced by a new one.
// Rings written before ring ids existed (format 1, versions "1", "2", ...) keep working: their
// file gets a ring id on first start, and later versions get random names.

const KEY_BYTES = 32;
const WRAP_IV = Buffer.from('A65959A6', 'hex'); // RFC 5649 alternative initial value
const LOCK_WAIT_MS = 5_000;
const VERSION = /^(?:[1-9][0-9]*|v[1-9][0-9]*-[0-9a-f]{24})$/;
const RING_ID = /^ring-[0-9a-f]{32}$/;

const keyRingSchema = z.object({
  format: z.literal('totalone-vault-keyring'),
  formatVersion: z.union([z.literal(1), z.literal(2)]),
  ringId: z.string().regex(RING_ID).optional(),
  active: z.string().regex(VERSION),
  keys: z
    .array(
      z.object({
        version: z.string().regex(VERSION),
        key: z.string().optional(),
        createdAt: z.string(),
        retiredAt: z.string().nullable(),
      }),
    )
    .min(1),
});
type KeyRing = z.infer<typeof keyRingSchema>;

const newRingId = () => `ring-${randomBytes(16).toString('hex')}`;
const newVersion = (n: number) => `v${n}-${randomBytes(12).toString('hex')}`;

export interface LocalKeyFileOptions {
  path: string;
  now?: () => Date;
}

export function createLocalKeyFileProvider(options: LocalKeyFileOptions): VaultKeyProvider {
  const path = resolve(options.path);
  const now = options.now ?? (() => new Date());
  let cached: { ring: KeyRing; keys: Map<string, Buffer>; signature: string } | undefined;
  let pinned: string | undefined;

  function signatureOf(): string | undefined {
    try {
      const stat = statSync(path);
      if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
        throw vaultUnavailable(`the key file ${path} is readable by other users; run \`chmod 600 ${path}\``);
      }
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw asUnavailable(error, `cannot read the key file ${path}`);
    }
  }

  function parse(text: string): KeyRing {
    const parsed = keyRingSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw vaultUnavailable(`the key file ${path} is not a valid key ring`);
    const active = parsed.data.keys.find((k) => k.version === parsed.data.active);
    if (!active?.key || active.retiredAt) throw vaultUnavailable(`the key file ${path} has no usable active key`);
    return parsed.data;
  }

  /** The ring as on disk now; a missing file is an error (it is never silently replaced). */
  function load(): KeyRing {
    const signature = signatureOf();
    if (signature === undefined) throw vaultUnavailable(`the key file ${path} does not exist; restore it from your backup`);
    if (cached && signature === cached.signature) return cached.ring;
    try {
      const ring = parse(readFileSync(path, 'utf8'));
      if (pinned && ring.ringId !== pinned) {
        throw vaultUnavailable(`the key file ${path} was replaced by another key ring (${ring.ringId ?? 'one without an id'} instead of ${pinned}); put the right key file back`);
      }
      const keys = new Map(ring.keys.filter((k) => k.key && !k.retiredAt).map((k) => [k.version, Buffer.from(k.key!, 'base64')]));
      for (const key of keys.values()) if (key.length !== KEY_BYTES) throw vaultUnavailable(`the key file ${path} holds a key that is not 256 bits`);
      cached = { ring, keys, signature };
      return ring;
    } catch (error) {
      throw asUnavailable(error, `cannot read the key file ${path}`);
    }
  }

  function write(ring: KeyRing): void {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(ring, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    cached = undefined;
  }

  function withLock<T>(action: () => T): T {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const lockPath = `${path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const fd = openSync(lockPath, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw asUnavailable(error, `cannot lock the key file ${path}`);
        const holder = Number(readFileSafely(lockPath));
        if (!holder || !isAlive(holder)) {
          rmSync(lockPath, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw vaultUnavailable(`the key file ${path} is locked by process ${holder}`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
      }
    }
    try {
      return action();
    } finally {
      rmSync(lockPath, { force: true });
    }
  }

  function keyFor(version: string): Buffer {
    load();
    const key = cached?.keys.get(version);
    if (key) return key;
    const known = cached?.ring.keys.find((k) => k.version === version);
    throw vaultUnavailable(known ? `vault key version ${version} has been retired` : `vault key version ${version} is not in the key file ${path}`);
  }

  return {
    kind: 'local',
    async ringId() {
      if (signatureOf() === undefined) return undefined;
      const ring = load();
      if (ring.ringId) return ring.ringId;
      // A ring from before ring ids: it gets one, once (under the lock, like any write).
      return withLock(() => {
        const current = parse(readFileSync(path, 'utf8'));
        if (current.ringId) return current.ringId;
        const ringId = newRingId();
        write({ ...current, formatVersion: 2, ringId });
        return ringId;
      });
    },
    async createRing() {
      try {
        return withLock(() => {
          if (signatureOf() !== undefined) {
            const existing = parse(readFileSync(path, 'utf8'));
            if (existing.ringId) return existing.ringId;
            const ringId = newRingId();
            write({ ...existing, formatVersion: 2, ringId });
            return ringId;
          }
          const ringId = newRingId();
          const version = newVersion(1);
          write({ format: 'totalone-vault-keyring', formatVersion: 2, ringId, active: version, keys: [{ version, key: randomBytes(KEY_BYTES).toString('base64'), createdAt: now().toISOString(), retiredAt: null }] });
          return ringId;
        });
      } catch (error) {
        throw asUnavailable(error, `cannot create the key file ${path}`);
      }
    },
    pin(ringId) {
      pinned = ringId;
      cached = undefined;
    },
    async currentVersion() {
      return load().active;
    },
    async wrap(dataKey) {
      const ring = load();
      const key = keyFor(ring.active);
      const cipher = createCipheriv('id-aes256-wrap-pad', key, WRAP_IV);
      return { wrappedKey: Buffer.concat([cipher.update(dataKey), cipher.final()]), keyVersion: ring.active };
    },
    async unwrap(wrapped: WrappedDataKey) {
      const key = keyFor(wrapped.keyVersion);
      try {
        const decipher = createDecipheriv('id-aes256-wrap-pad', key, WRAP_IV);
        return Buffer.concat([decipher.update(wrapped.wrappedKey), decipher.final()]);
      } catch {
        throw new VaultIntegrityError('vault-key');
      }
    },
    async rotate() {
      load();
      return withLock(() => {
        const ring = parse(readFileSync(path, 'utf8'));
        const previous = ring.active;
        const next = newVersion(ring.keys.length + 1);
        ring.keys.push({ version: next, key: randomBytes(KEY_BYTES).toString('base64'), createdAt: now().toISOString(), retiredAt: null });
        ring.active = next;
        write(ring);
        return { previous, active: next };
      });
    },
    async retire(version) {
      load();
      withLock(() => {
        const ring = parse(readFileSync(path, 'utf8'));
        const entry = ring.keys.find((k) => k.version === version);
        if (!entry) throw new Error(`Vault key version ${version} is not in the key file`);
        if (version === ring.active) throw new Error(`Vault key version ${version} is the active version: rotate first`);
        if (entry.retiredAt) return;
        delete entry.key; // the key material is destroyed, not just flagged
        entry.retiredAt = now().toISOString();
        write(ring);
      });
    },
    async versions(): Promise<VaultKeyVersions> {
      const ring = load();
      return {
        active: ring.active,
        usable: ring.keys.filter((k) => k.key && !k.retiredAt).map((k) => k.version),
        retired: ring.keys.filter((k) => k.retiredAt).map((k) => k.version),
      };
    },
  };
}

function readFileSafely(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function asUnavailable(error: unknown, detail: string): Error {
  if (error instanceof UnavailableError || error instanceof VaultIntegrityError) return error;
  return vaultUnavailable(detail);
}
