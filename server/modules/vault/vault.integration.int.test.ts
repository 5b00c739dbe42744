import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../db/database.ts';
import { manualClock } from '../../lib/clock.ts';
import { ConflictError, UnavailableError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../../test/support/database.ts';
import { dumpAllRows } from '../../../test/support/dump.ts';
import { ROOT_FIELD, VaultIntegrityError } from './vault.fns.ts';
import { createLocalKeyFileProvider } from './vault.keys.local.ts';
import type { VaultKeyProvider } from './vault.keys.ts';
import * as repo from './vault.repo.ts';
import { createVault, type Vault } from './vault.service.ts';

// The vault on a real database (PGlite, and PostgreSQL when TEST_POSTGRES_URL is set).

/** Looks like the real thing: Azure client secrets are ~40 characters, refresh tokens long. */
function credentialsFor() {
  return {
    [ROOT_FIELD]: `Pc7Q~${randomBytes(27).toString('base64url')}`,
    entra_client_secret: `En8Q~${randomBytes(27).toString('base64url')}`,
    graph_refresh_token: `0.AR8A${randomBytes(300).toString('base64url')}`,
    partner_center_refresh_token: `0.AS9B${randomBytes(300).toString('base64url')}`,
  };
}

function flipBit(value: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(value);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

for (const backend of testBackends()) {
  describe(`vault (${backend})`, () => {
    let testDb: TestDatabase;
    let database: DatabaseHandle;
    let dir: string;
    let keys: VaultKeyProvider;
    let vault: Vault;
    const clock = manualClock(new Date('2026-11-25T10:00:00.000Z'));
    const logLines: string[] = [];
    /** Every plaintext the test stored: none may appear in the database or the logs. */
    const plaintexts: string[] = [];

    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _encoding, callback) {
          logLines.push(...String(chunk).split('\n').filter(Boolean));
          callback();
        },
      }),
    });

    async function newPartner(): Promise<string> {
      const suffix = randomBytes(4).toString('hex');
      const row = await database.db
        .insertInto('partners')
        .values({ reference: `P-${suffix}`, state: 'connecting', legal_name: `Contoso ${suffix}`, country: 'DE', street: 'Main 1', postal_code: '10115', city: 'Berlin', tax_id: 'DE123456789', website: null, mpn_id: '1234567', entra_domain: `contoso${suffix}.onmicrosoft.com`, updated_at: clock.now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    /** A partner with all four credentials stored, as the connect step will do it. */
    async function connectedPartner(): Promise<{ partnerId: string; values: Record<string, string> }> {
      const partnerId = await newPartner();
      const values = credentialsFor();
      plaintexts.push(...Object.values(values));
      const sealed = await vault.seal(partnerId, Object.entries(values).map(([field, value]) => ({ field, value, expiresAt: field.endsWith('_secret') ? new Date('2027-11-01T00:00:00Z') : null })));
      await database.db.transaction().execute((tx) => vault.insertSealed(tx, sealed));
      return { partnerId, values };
    }

    async function row(partnerId: string, field: string) {
      return database.db.selectFrom('credentials').selectAll().where('partner_id', '=', partnerId).where('field', '=', field).orderBy('version', 'desc').executeTakeFirstOrThrow();
    }

    before(async () => {
      testDb = await createTestDatabase(backend);
      database = await openDatabase({ url: testDb.url, ...(testDb.pglite ? { pglite: testDb.pglite } : {}) });
      await migrateToLatest(database.db);
      dir = mkdtempSync(join(tmpdir(), 'totalone-vault-'));
      keys = createLocalKeyFileProvider({ path: join(dir, 'vault-keys.json') });
      vault = createVault({ db: database.db, keys, clock, logger });
      await vault.ensureKeyRing();
    });
    after(async () => {
      await database.close();
      await testDb.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('round trip: every field opens to what was stored; the masked view shows no secret', async () => {
      const { partnerId, values } = await connectedPartner();
      for (const [field, value] of Object.entries(values)) assert.equal(await vault.open(partnerId, field), value);
      const masked = await vault.masked(partnerId);
      assert.deepEqual(masked.map((m) => [m.field, m.version, m.hint]), [
        ['entra_client_secret', 1, values.entra_client_secret!.slice(0, 3)],
        ['graph_refresh_token', 1, null],
        ['partner_center_refresh_token', 1, null],
        [ROOT_FIELD, 1, values[ROOT_FIELD]!.slice(0, 3)],
      ]);
      assert.deepEqual(Object.keys(masked[0]!).sort(), ['createdAt', 'expiresAt', 'field', 'hint', 'rotatedAt', 'version']);
      assert.equal(masked[0]!.expiresAt?.toISOString(), '2027-11-01T00:00:00.000Z');
      const root = await row(partnerId, ROOT_FIELD);
      assert.equal(root.wrapping, 'vault');
      assert.equal(root.vault_key_version, await keys.currentVersion());
      const other = await row(partnerId, 'graph_refresh_token');
      assert.equal(other.wrapping, 'partner');
      assert.equal(other.vault_key_version, null);
      await assert.rejects(vault.open(partnerId, 'unknown_field'), { code: 'CREDENTIAL_NOT_FOUND' });
      assert.deepEqual(await vault.openMany(partnerId, Object.keys(values)), values);
      await assert.rejects(vault.openMany(partnerId, ['graph_refresh_token', 'unknown_field']), { code: 'CREDENTIAL_NOT_FOUND' });
    });

    it('the root must come first, and field names are checked', async () => {
      const partnerId = await newPartner();
      await assert.rejects(vault.seal(partnerId, [{ field: 'graph_refresh_token', value: 'x'.repeat(40) }]), { code: 'VAULT_NO_ROOT' });
      await assert.rejects(vault.seal(partnerId, [{ field: 'Bad Field', value: 'x' }]), { code: 'VALIDATION_FAILED' });
      await assert.rejects(vault.seal(partnerId, [{ field: ROOT_FIELD, value: '' }]), { code: 'VALIDATION_FAILED' });
    });

    it('replacing a field makes a new version and deletes the old one', async () => {
      const { partnerId, values } = await connectedPartner();
      const token = `0.AR8A${randomBytes(200).toString('base64url')}`;
      plaintexts.push(token);
      const masked = await vault.replace(partnerId, { field: 'graph_refresh_token', value: token });
      assert.equal(masked.version, 2);
      assert.equal(await vault.open(partnerId, 'graph_refresh_token'), token);
      const versions = await database.db.selectFrom('credentials').select('version').where('partner_id', '=', partnerId).where('field', '=', 'graph_refresh_token').execute();
      assert.deepEqual(versions.map((v) => v.version), [2]);
      assert.equal(await vault.open(partnerId, 'entra_client_secret'), values.entra_client_secret);
    });

    it('replacing the root re-wraps every other record under the new partner key', async () => {
      const { partnerId, values } = await connectedPartner();
      const before = await row(partnerId, 'entra_client_secret');
      const newRoot = `Pc7Q~${randomBytes(27).toString('base64url')}`;
      plaintexts.push(newRoot);
      await vault.replace(partnerId, { field: ROOT_FIELD, value: newRoot, expiresAt: new Date('2028-01-01T00:00:00Z') });
      assert.equal(await vault.open(partnerId, ROOT_FIELD), newRoot);
      for (const field of ['entra_client_secret', 'graph_refresh_token', 'partner_center_refresh_token']) assert.equal(await vault.open(partnerId, field), values[field]);
      const afterRow = await row(partnerId, 'entra_client_secret');
      assert.notDeepEqual(Buffer.from(afterRow.wrapped_key), Buffer.from(before.wrapped_key), 're-wrapped');
      assert.deepEqual(Buffer.from(afterRow.ciphertext), Buffer.from(before.ciphertext), 'the data itself is untouched');
      assert.deepEqual((await vault.masked(partnerId)).find((m) => m.field === ROOT_FIELD)?.version, 2);
    });

    it('a writer that prepared on an older state is refused, and nothing of it is stored', async () => {
      const { partnerId } = await connectedPartner();
      const first = await vault.seal(partnerId, [{ field: 'graph_refresh_token', value: `first-${randomBytes(30).toString('hex')}` }]);
      const second = await vault.seal(partnerId, [{ field: 'partner_center_refresh_token', value: `second-${randomBytes(30).toString('hex')}` }]);
      await database.db.transaction().execute((tx) => vault.insertSealed(tx, first));
      await assert.rejects(database.db.transaction().execute((tx) => vault.insertSealed(tx, second)), (e: Error) => e instanceof ConflictError && e.code === 'VAULT_CONCURRENT_CHANGE');
      assert.equal((await row(partnerId, 'partner_center_refresh_token')).version, 1);
    });

    it('swapping ciphertext between two fields or two partners fails', async () => {
      const a = await connectedPartner();
      const b = await connectedPartner();
      // Two fields of one partner: whole encrypted contents moved from one row into the other.
      const secretRow = await row(a.partnerId, 'entra_client_secret');
      const tokenRow = await row(a.partnerId, 'graph_refresh_token');
      const contents = (r: typeof secretRow) => ({ ciphertext: r.ciphertext, iv: r.iv, auth_tag: r.auth_tag, wrapped_key: r.wrapped_key });
      await database.db.updateTable('credentials').set(contents(secretRow)).where('id', '=', tokenRow.id).execute();
      await assert.rejects(vault.open(a.partnerId, 'graph_refresh_token'), VaultIntegrityError);
      // Only the ciphertext swapped (the data key stays): fails too.
      await database.db.updateTable('credentials').set({ ...contents(tokenRow), ciphertext: secretRow.ciphertext }).where('id', '=', tokenRow.id).execute();
      await assert.rejects(vault.open(a.partnerId, 'graph_refresh_token'), VaultIntegrityError);
      // Same field, two partners.
      const bSecret = await row(b.partnerId, 'entra_client_secret');
      await database.db.updateTable('credentials').set(contents(bSecret)).where('id', '=', secretRow.id).execute();
      await assert.rejects(vault.open(a.partnerId, 'entra_client_secret'), VaultIntegrityError);
      // Roots swapped between partners: the root itself is bound to its partner.
      const bRoot = await row(b.partnerId, ROOT_FIELD);
      const aRoot = await row(a.partnerId, ROOT_FIELD);
      await database.db.updateTable('credentials').set({ ...contents(bRoot), vault_key_version: bRoot.vault_key_version }).where('id', '=', aRoot.id).execute();
      await assert.rejects(vault.open(a.partnerId, ROOT_FIELD), VaultIntegrityError);
      // Partner b was never touched.
      assert.equal(await vault.open(b.partnerId, 'entra_client_secret'), b.values.entra_client_secret);
    });

    it('flipping one bit of the ciphertext, tag, IV or wrapped key fails', async () => {
      for (const field of [ROOT_FIELD, 'partner_center_refresh_token']) {
        for (const column of ['ciphertext', 'auth_tag', 'iv', 'wrapped_key'] as const) {
          const { partnerId, values } = await connectedPartner();
          const original = await row(partnerId, field);
          await database.db.updateTable('credentials').set({ [column]: flipBit(original[column], 7) }).where('id', '=', original.id).execute();
          await assert.rejects(vault.open(partnerId, field), VaultIntegrityError, `${field}.${column}`);
          await database.db.updateTable('credentials').set({ [column]: original[column] }).where('id', '=', original.id).execute();
          assert.equal(await vault.open(partnerId, field), values[field]);
        }
      }
    });

    it('a record wrapped under another partner key does not open', async () => {
      const a = await connectedPartner();
      const b = await connectedPartner();
      const aToken = await row(a.partnerId, 'graph_refresh_token');
      const bToken = await row(b.partnerId, 'graph_refresh_token');
      await database.db.updateTable('credentials').set({ wrapped_key: bToken.wrapped_key }).where('id', '=', aToken.id).execute();
      await assert.rejects(vault.open(a.partnerId, 'graph_refresh_token'), VaultIntegrityError);
      // The root of partner a replaced under the table's nose (a valid root, other secret):
      // the derived partner key is wrong for every other record.
      const impostor = await vault.seal(await newPartner(), [{ field: ROOT_FIELD, value: 'impostor-root-secret-0123456789abcdef' }]);
      const impostorRoot = impostor.rows[0]!;
      await database.db.updateTable('credentials').set({ wrapped_key: aToken.wrapped_key }).where('id', '=', aToken.id).execute();
      assert.equal(await vault.open(a.partnerId, 'graph_refresh_token'), a.values.graph_refresh_token);
      await database.db
        .updateTable('credentials')
        .set({ ciphertext: impostorRoot.ciphertext, iv: impostorRoot.iv, auth_tag: impostorRoot.auth_tag, wrapped_key: impostorRoot.wrapped_key })
        .where('partner_id', '=', a.partnerId)
        .where('field', '=', ROOT_FIELD)
        .execute();
      await assert.rejects(vault.open(a.partnerId, 'graph_refresh_token'), VaultIntegrityError);
    });

    it('rotation: retire is refused while records use the old key; reads keep working during the re-wrap; then the old key retires', async () => {
      const partners: Array<{ partnerId: string; values: Record<string, string> }> = [];
      for (let i = 0; i < 12; i++) partners.push(await connectedPartner());
      const oldVersion = await keys.currentVersion();
      await assert.rejects(vault.retire(oldVersion), { code: 'VAULT_KEY_ACTIVE' });
      // The key rotates, but no record has moved yet: retiring the old one must be refused.
      await keys.rotate();
      await assert.rejects(vault.retire(oldVersion), (e: Error) => e instanceof ConflictError && e.code === 'VAULT_KEY_IN_USE' && /rotate/.test(e.message));

      let reading = true;
      let reads = 0;
      const readers = Array.from({ length: 3 }, async (_, n) => {
        while (reading) {
          const p = partners[(reads + n) % partners.length]!;
          assert.equal(await vault.open(p.partnerId, 'partner_center_refresh_token'), p.values.partner_center_refresh_token);
          reads++;
        }
      });
      const summary = await vault.rotate({ batchSize: 5 });
      reading = false;
      await Promise.all(readers);
      assert.ok(reads > 0, 'reads ran during the rotation');

      assert.notEqual(summary.activeVersion, oldVersion);
      assert.deepEqual(summary.failed, []);
      const total = Object.values(summary.recordsByKeyVersion).reduce((a, b) => a + b, 0);
      assert.deepEqual(summary.recordsByKeyVersion, { [summary.activeVersion]: total });
      assert.ok(summary.rewrapped >= partners.length);
      for (const p of partners) for (const [field, value] of Object.entries(p.values)) assert.equal(await vault.open(p.partnerId, field), value);
      const root = await row(partners[0]!.partnerId, ROOT_FIELD);
      assert.ok(root.rotated_at, 'rotated_at is set');

      for (const version of (await keys.versions()).usable.filter((v) => v !== summary.activeVersion)) await vault.retire(version);
      assert.ok((await keys.versions()).retired.includes(oldVersion));
      for (const p of partners) assert.equal(await vault.open(p.partnerId, ROOT_FIELD), p.values[ROOT_FIELD]);
      const status = await vault.status();
      assert.equal(status.provider, 'local');
      assert.deepEqual(status.recordsByKeyVersion, { [summary.activeVersion]: total });
    });

    it('rotation never overwrites a concurrent writer', async () => {
      const partners: Array<{ partnerId: string; values: Record<string, string> }> = [];
      for (let i = 0; i < 6; i++) partners.push(await connectedPartner());
      const newRoots = partners.map(() => `Pc7Q~${randomBytes(27).toString('base64url')}`);
      plaintexts.push(...newRoots);
      const [summary] = await Promise.all([
        vault.rotate({ batchSize: 2 }),
        ...partners.map((p, i) => vault.replace(p.partnerId, { field: ROOT_FIELD, value: newRoots[i]! })),
      ]);
      // A root replaced in between was written under whichever version was active then.
      const again = await vault.rewrapToActive();
      assert.deepEqual(Object.keys(again.recordsByKeyVersion), [again.activeVersion]);
      assert.ok(summary.failed.length === 0 && again.failed.length === 0);
      for (const [i, p] of partners.entries()) {
        assert.equal(await vault.open(p.partnerId, ROOT_FIELD), newRoots[i]);
        assert.equal(await vault.open(p.partnerId, 'entra_client_secret'), p.values.entra_client_secret);
      }
    });

    it('the conditional update of rotation leaves a row that changed since it was read', async () => {
      const { partnerId, values } = await connectedPartner();
      const stale = await row(partnerId, ROOT_FIELD);
      await keys.rotate();
      await vault.rewrapToActive();
      const current = await row(partnerId, ROOT_FIELD);
      assert.notEqual(current.vault_key_version, stale.vault_key_version);
      const moved = await repo.rewrapRoot(database.db, stale, Buffer.alloc(40, 1), 'bogus', clock.now());
      assert.equal(moved, false);
      assert.deepEqual(Buffer.from((await row(partnerId, ROOT_FIELD)).wrapped_key), Buffer.from(current.wrapped_key));
      assert.equal(await vault.open(partnerId, ROOT_FIELD), values[ROOT_FIELD]);
    });

    it('key provider unavailable: fails closed with VAULT_UNAVAILABLE and stores nothing', async () => {
      const down: VaultKeyProvider = {
        kind: 'azure',
        ringId: () => Promise.reject(new Error('socket hang up')),
        createRing: () => Promise.reject(new Error('socket hang up')),
        pin: () => {},
        currentVersion: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
        wrap: () => Promise.reject(new Error('socket hang up')),
        unwrap: () => Promise.reject(new Error('socket hang up')),
        rotate: () => Promise.reject(new Error('socket hang up')),
        retire: () => Promise.reject(new Error('socket hang up')),
        versions: () => Promise.reject(new Error('socket hang up')),
      };
      const unavailable = createVault({ db: database.db, keys: down, clock, logger });
      const partnerId = await newPartner();
      const value = `Pc7Q~${randomBytes(27).toString('base64url')}`;
      plaintexts.push(value);
      const isUnavailable = (e: Error) => e instanceof UnavailableError && e.code === 'VAULT_UNAVAILABLE' && e.status === 503 && (e.details.retryAfterSeconds ?? 0) > 0 && !e.message.includes(value);
      await assert.rejects(unavailable.seal(partnerId, [{ field: ROOT_FIELD, value }]), isUnavailable);
      await assert.rejects(unavailable.replace(partnerId, { field: ROOT_FIELD, value }), isUnavailable);
      const stored = await database.db.selectFrom('credentials').select('id').where('partner_id', '=', partnerId).execute();
      assert.equal(stored.length, 0);
      const { partnerId: existing } = await connectedPartner();
      await assert.rejects(unavailable.open(existing, 'graph_refresh_token'), isUnavailable);
      await assert.rejects(unavailable.rotate(), isUnavailable);
      // The local key file gone: the same.
      const missing = createVault({ db: database.db, keys: createLocalKeyFileProvider({ path: join(dir, 'missing', 'none.json') }), clock, logger });
      await assert.rejects(missing.open(existing, ROOT_FIELD), isUnavailable);
    });

    it('deleting a partner deletes its credentials', async () => {
      const { partnerId } = await connectedPartner();
      await database.db.deleteFrom('partners').where('id', '=', partnerId).execute();
      assert.equal((await database.db.selectFrom('credentials').select('id').where('partner_id', '=', partnerId).execute()).length, 0);
    });

    it('no secret in a dump of every table or in the logs, in any encoding', async () => {
      const dump = await dumpAllRows(database.db);
      assert.ok(dump.includes('partner_center_web_app_secret'), 'the dump holds the credential rows');
      const logs = logLines.join('\n');
      assert.ok(logs.includes('credentials stored'), 'the logs were captured');
      assert.ok(plaintexts.length > 20);
      for (const plaintext of plaintexts) {
        const bytes = Buffer.from(plaintext, 'utf8');
        // Long enough fragments that a match cannot be chance, in every form a dump could show.
        const fragment = plaintext.slice(5, 29);
        const forms = [plaintext, fragment, bytes.toString('hex'), Buffer.from(fragment).toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
        for (const form of forms) {
          assert.ok(!dump.includes(form), 'a secret appears in the database dump');
          assert.ok(!logs.includes(form), 'a secret appears in the logs');
        }
      }
    });
  });
}
