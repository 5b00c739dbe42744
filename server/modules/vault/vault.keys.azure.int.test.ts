import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator, type KeyVaultFacts } from '../../../emulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../db/database.ts';
import { systemClock } from '../../lib/clock.ts';
import { UnavailableError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { ROOT_FIELD, VaultIntegrityError } from './vault.fns.ts';
import { clientSecretCredential, createAzureKeyVaultProvider } from './vault.keys.azure.ts';
import { createVault } from './vault.service.ts';

// The Azure Key Vault provider against the emulator's Key Vault (https, self-signed certificate,
// the 401 challenge, client-credentials tokens from the emulator's identity endpoints).

const silent = createLogger({ level: 'silent' });
const isUnavailable = (e: Error) => e instanceof UnavailableError && e.code === 'VAULT_UNAVAILABLE' && e.status === 503;

describe('Azure Key Vault provider (emulator)', () => {
  let emulator: Emulator;
  let kv: KeyVaultFacts;

  const provider = (overrides: { ca?: string | undefined; clientSecret?: string; vaultUrl?: string } = {}) =>
    createAzureKeyVaultProvider({
      vaultUrl: overrides.vaultUrl ?? kv.vaultUrl,
      keyName: kv.keyName,
      ca: 'ca' in overrides ? overrides.ca : kv.ca,
      credential: clientSecretCredential({ authorityHost: emulator.baseUrl, tenantId: kv.tenantId, clientId: kv.clientId, clientSecret: overrides.clientSecret ?? kv.clientSecret }),
      timeoutMs: 5_000,
      logger: silent,
    });

  before(async () => {
    emulator = await startEmulator({ port: 0, keyVault: true });
    kv = emulator.keyVault!;
  });
  after(() => emulator.close());

  it('wraps with RSA-OAEP-256 and unwraps with the version that wrapped, across a rotation', async () => {
    const keys = provider();
    const dataKey = randomBytes(32);
    const first = await keys.wrap(dataKey);
    assert.equal(first.keyVersion, await keys.currentVersion());
    assert.ok(first.wrappedKey.length >= 256, 'an RSA key of 2048 bits or more');
    assert.deepEqual(await keys.unwrap(first), dataKey);
    const { previous, active } = await keys.rotate();
    assert.equal(previous, first.keyVersion);
    assert.notEqual(active, previous);
    const second = await keys.wrap(dataKey);
    assert.equal(second.keyVersion, active);
    assert.deepEqual(await keys.unwrap(first), dataKey);
    assert.deepEqual(await keys.unwrap(second), dataKey);
    assert.ok(emulator.events.some((e) => e.type === 'key_vault.unwrapKey'));
  });

  it('a changed wrapped key is an integrity failure, not an outage', async () => {
    const keys = provider();
    const wrapped = await keys.wrap(randomBytes(32));
    const flipped = Buffer.from(wrapped.wrappedKey);
    flipped[10] = flipped[10]! ^ 1;
    await assert.rejects(keys.unwrap({ ...wrapped, wrappedKey: flipped }), VaultIntegrityError);
  });

  it('fails closed as VAULT_UNAVAILABLE: no permission, bad credential, untrusted certificate, vault down', async () => {
    const keys = provider();
    const wrapped = await keys.wrap(randomBytes(32));
    emulator.patch({ op: 'setVaultAccess', keyPermissions: ['get', 'wrapKey'] });
    try {
      await assert.rejects(keys.unwrap(wrapped), isUnavailable);
    } finally {
      emulator.patch({ op: 'setVaultAccess', keyPermissions: ['get', 'list', 'create', 'rotate', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt'] });
    }
    await assert.rejects(provider({ clientSecret: 'wrong-secret' }).unwrap(wrapped), isUnavailable);
    await assert.rejects(provider({ ca: undefined }).wrap(randomBytes(32)), isUnavailable);
    await assert.rejects(provider({ vaultUrl: 'https://127.0.0.1:1' }).currentVersion(), isUnavailable);
  });

  it('refuses a token request for a tenant other than the configured one', async () => {
    const credential = clientSecretCredential({ authorityHost: emulator.baseUrl, tenantId: kv.tenantId, clientId: kv.clientId, clientSecret: kv.clientSecret });
    await assert.rejects(credential.getToken('https://vault.azure.net/.default', { tenantId: '11111111-1111-1111-1111-111111111111' }), /configured for tenant/);
    const token = await credential.getToken('https://vault.azure.net/.default');
    assert.ok(token?.token);
  });

  describe('the vault service on the Azure provider (PGlite)', () => {
    let testDb: TestDatabase;
    let database: DatabaseHandle;
    before(async () => {
      testDb = await createTestDatabase('pglite');
      database = await openDatabase({ pglite: testDb.pglite! });
      await migrateToLatest(database.db);
    });
    after(async () => {
      await database.close();
      await testDb.drop();
    });

    it('stores, opens, rotates and re-wraps with Key Vault as the vault key', async () => {
      const vault = createVault({ db: database.db, keys: provider(), clock: systemClock, logger: silent, appSecret: randomBytes(32) });
      const ring = await vault.ensureKeyRing();
      assert.match(ring.ringId, /^azure:https:\/\/.+\/keys\//);
      assert.equal(ring.created, false, 'a Key Vault key is never created by the app');
      // The app keyring is wrapped by the Key Vault key too.
      assert.deepEqual(await vault.ensureAppKeys(), { created: true, active: 1 });
      const sealedTotp = vault.appKeys.sealer('operator-totp').seal('JBSWY3DPEHPK3PXP', 'operator-totp:1');
      const partner = await database.db
        .insertInto('partners')
        .values({ reference: 'P-AZURE1', state: 'connecting', legal_name: 'Contoso', country: 'DE', street: 'Main 1', postal_code: '10115', city: 'Berlin', tax_id: 'DE1', website: null, mpn_id: '1', entra_domain: 'contosoazure.onmicrosoft.com', updated_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      const root = `Pc7Q~${randomBytes(27).toString('base64url')}`;
      const token = `0.AR8A${randomBytes(200).toString('base64url')}`;
      const sealed = await vault.seal(partner.id, [{ field: ROOT_FIELD, value: root }, { field: 'graph_refresh_token', value: token }]);
      await database.db.transaction().execute((tx) => vault.insertSealed(tx, sealed));
      assert.equal(await vault.open(partner.id, 'graph_refresh_token'), token);
      const summary = await vault.rotate({ batchSize: 1 });
      assert.equal(summary.rewrapped, 1);
      assert.deepEqual(summary.recordsByKeyVersion, { [summary.activeVersion]: 1 });
      assert.equal(await vault.open(partner.id, ROOT_FIELD), root);
      assert.equal(await vault.open(partner.id, 'graph_refresh_token'), token);
      assert.deepEqual(summary.appKey, { previous: 1, active: 2 });
      assert.equal(summary.appKeysRewrapped, 2);
      assert.equal(vault.appKeys.sealer('operator-totp').open(sealedTotp, 'operator-totp:1'), 'JBSWY3DPEHPK3PXP');
    });
  });

  it('retires (disables) an old key version and lists versions', { skip: 'waiting for emulator Key Vault endpoints PATCH /keys/{name}/{version} and GET /keys/{name}/versions' }, async () => {
    const keys = provider();
    const { previous, active } = await keys.rotate();
    await keys.retire(previous);
    const versions = await keys.versions();
    assert.equal(versions.active, active);
    assert.ok(versions.retired.includes(previous));
  });
});
