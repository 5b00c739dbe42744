import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UnavailableError } from '../../lib/errors.ts';
import { VaultIntegrityError } from './vault.fns.ts';
import { createLocalKeyFileProvider } from './vault.keys.local.ts';

describe('local key file provider', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'totalone-vault-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key ring only when asked: mode 0600 in a new directory, a random ring id and version name; never twice', async () => {
    const path = join(dir, 'nested', 'deeper', 'vault-keys.json');
    const keys = createLocalKeyFileProvider({ path });
    assert.equal(await keys.ringId(), undefined, 'no key file: no ring');
    await assert.rejects(keys.currentVersion(), (e: Error) => e instanceof UnavailableError && /does not exist/.test(e.message));
    assert.ok(!existsSync(path), 'using the vault never creates a key file by itself');
    const ringId = await keys.createRing();
    assert.match(ringId, /^ring-[0-9a-f]{32}$/);
    assert.equal(await keys.createRing(), ringId, 'a second call finds the ring');
    assert.equal(await keys.ringId(), ringId);
    assert.match(await keys.currentVersion(), /^v1-[0-9a-f]{24}$/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'nested', 'deeper')).mode & 0o077, 0);
    const ring = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(ring.ringId, ringId);
    assert.equal(Buffer.from(ring.keys[0].key, 'base64').length, 32);
    // Another ring elsewhere never shares a version name with this one.
    const other = createLocalKeyFileProvider({ path: join(dir, 'other.json') });
    await other.createRing();
    assert.notEqual(await other.currentVersion(), await keys.currentVersion());
    assert.notEqual(await other.ringId(), ringId);
  });

  it('wraps and unwraps; a wrong key version or a changed wrap fails', async () => {
    const keys = createLocalKeyFileProvider({ path: join(dir, 'wrap.json') });
    await keys.createRing();
    const dataKey = randomBytes(32);
    const wrapped = await keys.wrap(dataKey);
    assert.equal(wrapped.keyVersion, await keys.currentVersion());
    assert.ok(!wrapped.wrappedKey.includes(dataKey));
    assert.deepEqual(await keys.unwrap(wrapped), dataKey);
    const flipped = Buffer.from(wrapped.wrappedKey);
    flipped[3] = flipped[3]! ^ 1;
    await assert.rejects(keys.unwrap({ ...wrapped, wrappedKey: flipped }), (e: Error) => e instanceof VaultIntegrityError && e.origin === 'vault-key' && !/enter it again/.test(e.message));
    await assert.rejects(keys.unwrap({ ...wrapped, keyVersion: '7' }), UnavailableError);
  });

  it('rotates: old versions keep unwrapping, new wraps use the new version; retire destroys the old key', async () => {
    const path = join(dir, 'rotate.json');
    const keys = createLocalKeyFileProvider({ path });
    await keys.createRing();
    const first = await keys.currentVersion();
    const dataKey = randomBytes(32);
    const old = await keys.wrap(dataKey);
    // The rotation runs in another process: a second provider on the same file stands for it.
    const operator = createLocalKeyFileProvider({ path });
    const rotated = await operator.rotate();
    assert.equal(rotated.previous, first);
    assert.match(rotated.active, /^v2-[0-9a-f]{24}$/);
    assert.equal((await keys.wrap(dataKey)).keyVersion, rotated.active, 'the running app sees the new active version');
    assert.deepEqual(await keys.unwrap(old), dataKey);
    await assert.rejects(operator.retire(rotated.active), /active version/);
    await operator.retire(first);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await keys.versions(), { active: rotated.active, usable: [rotated.active], retired: [first] });
    const ring = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(ring.keys[0].key, undefined, 'the retired key material is gone from the file');
    await assert.rejects(keys.unwrap(old), (error: Error) => error instanceof UnavailableError && /retired/.test(error.message));
  });

  it('a key ring from before ring ids gets one and keeps its versions; new versions get random names', async () => {
    const path = join(dir, 'legacy.json');
    const legacyKey = randomBytes(32);
    writeFileSync(path, JSON.stringify({ format: 'totalone-vault-keyring', formatVersion: 1, active: '1', keys: [{ version: '1', key: legacyKey.toString('base64'), createdAt: 'x', retiredAt: null }] }), { mode: 0o600 });
    const keys = createLocalKeyFileProvider({ path });
    const wrapped = await keys.wrap(randomBytes(32));
    assert.equal(wrapped.keyVersion, '1');
    const ringId = await keys.ringId();
    assert.match(ringId ?? '', /^ring-[0-9a-f]{32}$/);
    assert.equal(await keys.ringId(), ringId, 'given once');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).keys[0].key, legacyKey.toString('base64'), 'the key itself is untouched');
    assert.ok(await keys.unwrap(wrapped));
    assert.match((await keys.rotate()).active, /^v2-[0-9a-f]{24}$/);
  });

  it('pinned to its ring: a key file swapped for another ring under the running app fails closed', async () => {
    const path = join(dir, 'pinned.json');
    const keys = createLocalKeyFileProvider({ path });
    keys.pin(await keys.createRing());
    const wrapped = await keys.wrap(randomBytes(32));
    rmSync(path);
    await assert.rejects(keys.wrap(randomBytes(32)), (e: Error) => e instanceof UnavailableError && /does not exist/.test(e.message));
    assert.ok(!existsSync(path), 'a vanished key file is not replaced');
    const other = createLocalKeyFileProvider({ path });
    await other.createRing(); // someone puts a new ring there
    await assert.rejects(keys.wrap(randomBytes(32)), (e: Error) => e instanceof UnavailableError && /replaced by another key ring/.test(e.message));
    await assert.rejects(keys.unwrap(wrapped), UnavailableError);
  });

  it('fails closed when the file is missing at unwrap, unreadable, corrupt or open to others', async () => {
    const path = join(dir, 'broken.json');
    const keys = createLocalKeyFileProvider({ path });
    await assert.rejects(keys.unwrap({ wrappedKey: randomBytes(40), keyVersion: '1' }), (e: Error) => e instanceof UnavailableError && /does not exist/.test(e.message));
    await assert.rejects(keys.wrap(randomBytes(32)), (e: Error) => e instanceof UnavailableError && /does not exist/.test(e.message));
    assert.ok(!existsSync(path), 'a wrap does not create the key file');
    writeFileSync(path, '{ not json', { mode: 0o600 });
    await assert.rejects(keys.wrap(randomBytes(32)), (e: Error) => e instanceof UnavailableError && (e as UnavailableError).code === 'VAULT_UNAVAILABLE');
    writeFileSync(path, JSON.stringify({ format: 'totalone-vault-keyring', formatVersion: 1, active: '1', keys: [{ version: '1', key: randomBytes(32).toString('base64'), createdAt: 'x', retiredAt: null }] }));
    chmodSync(path, 0o644);
    await assert.rejects(keys.wrap(randomBytes(32)), /readable by other users/);
    chmodSync(path, 0o600);
    assert.equal((await keys.wrap(randomBytes(32))).keyVersion, '1');
  });
});
