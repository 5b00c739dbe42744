import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compiledCommand } from '../../../test/support/compiled.ts';
import { createTestDatabase, migratedDemoDataFolder, testBackends, type TestDatabase } from '../../../test/support/database.ts';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../db/database.ts';
import { systemClock } from '../../lib/clock.ts';
import { createLogger } from '../../lib/logger.ts';
import { ROOT_FIELD } from './vault.fns.ts';
import { createLocalKeyFileProvider } from './vault.keys.local.ts';
import { runVaultRotate } from './vault.rotate.ts';
import { createVault, type Vault } from './vault.service.ts';

// `npm run vault:rotate` as operators run it: the rotation as a separate process beside the app,
// on the app's database and key file; the shorter commands call the same function in this process
// (a Node start each saved).

async function runInProcess(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runVaultRotate(args, { env: { LOG_LEVEL: 'warn', START_EMULATOR: 'false', ...env }, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.map((l) => `${l}\n`).join('') };
}

async function runScript(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = await compiledCommand('vault-rotate');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...command, ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', START_EMULATOR: 'false', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

for (const backend of testBackends()) {
  describe(`npm run vault:rotate (${backend})`, () => {
    let dir: string;
    let testDb: TestDatabase | undefined;
    let database: DatabaseHandle;
    let vault: Vault;
    let env: Record<string, string>;
    const partners: { id: string; root: string; token: string }[] = [];
    let activeVersion = '';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'totalone-vault-rotate-'));
      const keyFile = join(dir, 'keys', 'vault-keys.json');
      if (backend === 'postgres') {
        testDb = await createTestDatabase('postgres');
        env = { DATABASE_URL: testDb.url!, DATA_DIR: dir, VAULT_KEY_FILE: keyFile };
      } else {
        env = { DATA_DIR: join(dir, 'data'), VAULT_KEY_FILE: keyFile };
        await migratedDemoDataFolder(env.DATA_DIR!);
      }
      database = await openDatabase(testDb ? { url: testDb.url } : { dataDir: env.DATA_DIR });
      await migrateToLatest(database.db);
      vault = createVault({ db: database.db, keys: createLocalKeyFileProvider({ path: keyFile }), clock: systemClock, logger: createLogger({ level: 'silent' }), appSecret: randomBytes(32) });
      await vault.ensureKeyRing();
      // As the app's first start does: the app keyring, wrapped by the vault key.
      await vault.ensureAppKeys();
      for (let i = 0; i < 8; i++) {
        const suffix = randomBytes(4).toString('hex');
        const { id } = await database.db
          .insertInto('partners')
          .values({ reference: `P-${suffix}`, state: 'connected', legal_name: `Contoso ${suffix}`, country: 'DE', street: 'Main 1', postal_code: '10115', city: 'Berlin', tax_id: 'DE1', website: null, mpn_id: '1', entra_domain: `c${suffix}.onmicrosoft.com`, updated_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        const partner = { id, root: `Pc7Q~${randomBytes(27).toString('base64url')}`, token: `0.AR8A${randomBytes(100).toString('base64url')}` };
        const sealed = await vault.seal(id, [{ field: ROOT_FIELD, value: partner.root }, { field: 'graph_refresh_token', value: partner.token }]);
        await database.db.transaction().execute((tx) => vault.insertSealed(tx, sealed));
        partners.push(partner);
      }
      // PGlite allows one process per data folder: the app stops before the script runs.
      if (backend === 'pglite') await database.close();
    });
    after(async () => {
      if (backend === 'postgres') await database.close();
      await testDb?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('rotates and re-wraps while the app keeps reading, then retires the old version', async () => {
      let reading = backend === 'postgres';
      let reads = 0;
      const reader = (async () => {
        while (reading) {
          const p = partners[reads % partners.length]!;
          assert.equal(await vault.open(p.id, 'graph_refresh_token'), p.token);
          reads++;
        }
      })();
      const rotated = await runScript(['--batch-size', '3'], env);
      reading = false;
      await reader;
      assert.equal(rotated.code, 0, rotated.stderr);
      // Version names are random (never reused by another key ring): v<n>-<96 random bits>.
      const [, first, second] = /Vault key rotated: (v1-[0-9a-f]{24}) -> (v2-[0-9a-f]{24})\./.exec(rotated.stdout) ?? [];
      assert.ok(first && second, rotated.stdout);
      activeVersion = second;
      assert.match(rotated.stdout, /Re-wrapped 8 root record\(s\)\./);
      assert.match(rotated.stdout, new RegExp(`version ${second}: 8 root record`));
      // The app keyring moved to the new vault key version and got a new sealing version.
      assert.match(rotated.stdout, /Re-wrapped 2 app key\(s\)\./);
      assert.match(rotated.stdout, /App key rotated: 1 -> 2\./);
      assert.match(rotated.stdout, /retire-app-key 1/);
      // Running instances may still seal with version 1 for a moment: retiring it at once is refused.
      const tooSoon = await runInProcess(['--retire-app-key', '1'], env);
      assert.equal(tooSoon.code, 1);
      assert.match(tooSoon.stderr, /Retire it after \d{4}-/);
      if (backend === 'postgres') assert.ok(reads > 0, 'the app read during the rotation');

      const retired = await runInProcess(['--retire', first], env);
      assert.equal(retired.code, 0, retired.stderr);
      const status = await runInProcess(['--status'], env);
      assert.match(status.stdout, new RegExp(`active version ${second}; usable ${second}; retired ${first}`));
      assert.match(status.stdout, /App keys: active version 2; usable 1, 2; retired -/);
      for (const secret of partners.flatMap((p) => [p.root, p.token])) {
        assert.ok(!`${rotated.stdout}${rotated.stderr}${retired.stdout}${status.stdout}`.includes(secret));
      }

      if (backend === 'pglite') database = await openDatabase({ dataDir: env.DATA_DIR });
      vault = createVault({ db: database.db, keys: createLocalKeyFileProvider({ path: env.VAULT_KEY_FILE! }), clock: systemClock, logger: createLogger({ level: 'silent' }) });
      for (const p of partners) {
        assert.equal(await vault.open(p.id, ROOT_FIELD), p.root);
        assert.equal(await vault.open(p.id, 'graph_refresh_token'), p.token);
      }
      if (backend === 'pglite') await database.close();
    });

    it('refuses to retire the active version, with a plain message', async () => {
      const refused = await runInProcess(['--retire', activeVersion], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /active version/);
    });
  });
}
