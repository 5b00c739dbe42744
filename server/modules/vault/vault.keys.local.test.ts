import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('creates the key file on first use with mode 0600, in a new directory', async () => {
    const path = join(dir, 'nested', 'deeper', 'vault-keys.json');
    const keys = createLocalKeyFileProvider({ path });
    assert.equal(await keys.currentVersion(), '1');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'nested', 'deeper')).mode & 0o077, 0);
    const ring = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(ring.active, '1');
    assert.equal(Buffer.from(ring.keys[0].key, 'base64').length, 32);
  });

  it('wraps and unwraps; a wrong key version or a changed wrap fails', async () => {
    const keys = createLocalKeyFileProvider({ path: join(dir, 'wrap.json') });
    const dataKey = randomBytes(32);
    const wrapped = await keys.wrap(dataKey);
    assert.equal(wrapped.keyVersion, '1');
    assert.ok(!wrapped.wrappedKey.includes(dataKey));
    assert.deepEqual(await keys.unwrap(wrapped), dataKey);
    const flipped = Buffer.from(wrapped.wrappedKey);
    flipped[3] = flipped[3]! ^ 1;
    await assert.rejects(keys.unwrap({ ...wrapped, wrappedKey: flipped }), VaultIntegrityError);
    await assert.rejects(keys.unwrap({ ...wrapped, keyVersion: '7' }), UnavailableError);
  });

  it('rotates: old versions keep unwrapping, new wraps use the new version; retire destroys the old key', async () => {
    const path = join(dir, 'rotate.json');
    const keys = createLocalKeyFileProvider({ path });
    const dataKey = randomBytes(32);
    const old = await keys.wrap(dataKey);
    // The rotation runs in another process: a second provider on the same file stands for it.
    const operator = createLocalKeyFileProvider({ path });
    assert.deepEqual(await operator.rotate(), { previous: '1', active: '2' });
    assert.equal((await keys.wrap(dataKey)).keyVersion, '2', 'the running app sees the new active version');
    assert.deepEqual(await keys.unwrap(old), dataKey);
    await assert.rejects(operator.retire('2'), /active version/);
    await operator.retire('1');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await keys.versions(), { active: '2', usable: ['2'], retired: ['1'] });
    const ring = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(ring.keys[0].key, undefined, 'the retired key material is gone from the file');
    await assert.rejects(keys.unwrap(old), (error: Error) => error instanceof UnavailableError && /retired/.test(error.message));
  });

  it('fails closed when the file is missing at unwrap, unreadable, corrupt or open to others', async () => {
    const path = join(dir, 'broken.json');
    const keys = createLocalKeyFileProvider({ path });
    await assert.rejects(keys.unwrap({ wrappedKey: randomBytes(40), keyVersion: '1' }), (e: Error) => e instanceof UnavailableError && /does not exist/.test(e.message));
    writeFileSync(path, '{ not json', { mode: 0o600 });
    await assert.rejects(keys.wrap(randomBytes(32)), (e: Error) => e instanceof UnavailableError && (e as UnavailableError).code === 'VAULT_UNAVAILABLE');
    writeFileSync(path, JSON.stringify({ format: 'totalone-vault-keyring', formatVersion: 1, active: '1', keys: [{ version: '1', key: randomBytes(32).toString('base64'), createdAt: 'x', retiredAt: null }] }));
    chmodSync(path, 0o644);
    await assert.rejects(keys.wrap(randomBytes(32)), /readable by other users/);
    chmodSync(path, 0o600);
    assert.equal((await keys.wrap(randomBytes(32))).keyVersion, '1');
  });
});
