import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT_FIELD } from '../../server/modules/vault/vault.fns.ts';
import { createLocalKeyFileProvider } from '../../server/modules/vault/vault.keys.local.ts';
import { testBackends } from '../support/database.ts';
import { scratchDir } from '../support/scratch.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The vault key ring and the database belong together. A key file that is missing (moved, a volume
// mounted late, an ephemeral path) or another ring in its place must stop the start with a message
// saying what to restore, never lead to credentials sealed under a throwaway key.

async function partnerWithCredentials(system: TestSystem): Promise<{ partnerId: string; secret: string }> {
  const suffix = randomBytes(4).toString('hex');
  const { id } = await system.database.db
    .insertInto('partners')
    .values({ reference: `P-${suffix}`, state: 'connecting', legal_name: `Contoso ${suffix}`, country: 'DE', street: 'Main 1', postal_code: '10115', city: 'Berlin', tax_id: 'DE1', website: null, mpn_id: '1', entra_domain: `c${suffix}.onmicrosoft.com`, updated_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const secret = `Pc7Q~${randomBytes(27).toString('base64url')}`;
  await system.services.vault.replace(id, { field: ROOT_FIELD, value: secret });
  return { partnerId: id, secret };
}

for (const backend of testBackends()) {
  describe(`vault key ring marker (${backend})`, () => {
    it('a fresh database gets a key ring with a random id at its first start, recorded with a check value', async () => {
      const system = await startTestSystem(backend, { roles: ['web'] });
      try {
        const marker = await system.database.db.selectFrom('vault_key_ring').selectAll().executeTakeFirstOrThrow();
        assert.match(marker.ring_id, /^ring-[0-9a-f]{32}$/);
        assert.match(marker.key_version, /^v1-[0-9a-f]{24}$/, 'never "version 1"');
        assert.equal(Buffer.from(marker.check_digest).length, 32);
        assert.ok(marker.verified_at);
      } finally {
        await system.dispose();
      }
    });

    it('the key file missing while credentials are sealed: the start is refused, saying what to restore; nothing new is created; with the file back, everything opens', async () => {
      const dir = scratchDir('ring-');
      const keyFile = join(dir, 'vault-keys.json');
      const first = await startTestSystem(backend, { roles: ['web'], vaultKeyFile: keyFile });
      const { partnerId, secret } = await partnerWithCredentials(first);
      const ringId = (await first.database.db.selectFrom('vault_key_ring').select('ring_id').executeTakeFirstOrThrow()).ring_id;
      await first.stop();
      renameSync(keyFile, `${keyFile}.away`); // a late volume, a moved file
      try {
        await assert.rejects(first.restart(), (error: Error & { code?: string }) => {
          assert.equal(error.code, 'VAULT_KEY_RING_MISSING');
          assert.match(error.message, /does not exist/);
          assert.match(error.message, new RegExp(ringId));
          assert.match(error.message, /Restore the key file/);
          assert.doesNotMatch(error.message, /enter .* again/);
          return true;
        });
        assert.ok(!existsSync(keyFile), 'no new key file was created');

        renameSync(`${keyFile}.away`, keyFile);
        const again = await first.restart();
        try {
          assert.equal(await again.services.vault.open(partnerId, ROOT_FIELD), secret);
          // New credentials are sealed under the same ring.
          const next = await partnerWithCredentials(again);
          assert.equal(await again.services.vault.open(next.partnerId, ROOT_FIELD), next.secret);
        } finally {
          await again.stop();
        }
      } finally {
        await first.db.drop();
      }
    });

    it('another key ring in place of the right one: the start is refused and names both rings', async () => {
      const dir = scratchDir('ring-');
      const system = await startTestSystem(backend, { roles: ['web'], vaultKeyFile: join(dir, 'right.json') });
      await partnerWithCredentials(system);
      const rightRing = (await system.database.db.selectFrom('vault_key_ring').select('ring_id').executeTakeFirstOrThrow()).ring_id;
      await system.stop();
      const otherFile = join(dir, 'other.json');
      const otherRing = await createLocalKeyFileProvider({ path: otherFile }).createRing();
      try {
        await assert.rejects(startTestSystem(backend, { roles: ['web'], database: system.db, clock: system.clock, vaultKeyFile: otherFile }), (error: Error & { code?: string }) => {
          assert.equal(error.code, 'VAULT_KEY_RING_MISMATCH');
          assert.match(error.message, new RegExp(`holds key ring ${otherRing}`));
          assert.match(error.message, new RegExp(`sealed under key ring ${rightRing}`));
          return true;
        });
      } finally {
        await system.db.drop();
      }
    });

    it('from the first start the database holds the app keyring under its ring: another key file is refused even before any partner credential', async () => {
      const dir = scratchDir('ring-');
      const a = await startTestSystem(backend, { roles: ['web'], vaultKeyFile: join(dir, 'a.json') });
      await a.stop();
      await createLocalKeyFileProvider({ path: join(dir, 'b.json') }).createRing();
      try {
        await assert.rejects(startTestSystem(backend, { roles: ['web'], database: a.db, clock: a.clock, vaultKeyFile: join(dir, 'b.json') }), { code: 'VAULT_KEY_RING_MISMATCH' });
        // The right key file still starts, and its app keys open.
        const again = await a.restart();
        assert.ok(again.services.vault.appKeys.activeVersion() >= 1);
        await again.stop();
      } finally {
        await a.db.drop();
      }
    });
  });
}

const postgres = process.env.TEST_POSTGRES_URL ? describe : describe.skip;
postgres('vault key ring marker: two live instances with different key files (postgres)', () => {
  it('the second instance is refused at start; the first keeps sealing and opening', async () => {
    const dir = scratchDir('ring-');
    const a = await startTestSystem('postgres', { roles: ['web'], vaultKeyFile: join(dir, 'a.json') });
    await createLocalKeyFileProvider({ path: join(dir, 'b.json') }).createRing();
    try {
      await assert.rejects(startTestSystem('postgres', { roles: ['web'], database: a.db, clock: a.clock, vaultKeyFile: join(dir, 'b.json') }), { code: 'VAULT_KEY_RING_MISMATCH' });
      const { partnerId, secret } = await partnerWithCredentials(a);
      assert.equal(await a.services.vault.open(partnerId, ROOT_FIELD), secret);
    } finally {
      await a.dispose();
    }
  });
});
