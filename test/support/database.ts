import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrateToLatest, openDatabase, pgliteParsers } from '../../server/db/database.ts';
import { createJobQueue } from '../../server/jobs/queue.ts';
import { jobRegistry } from '../../server/jobs/registry.ts';
import { createLogger } from '../../server/lib/logger.ts';

// Test databases. PGlite: a migrated template (our migrations + pg-boss's schema) is made once per
// set of migrations and loaded into memory for each test, instead of an initdb per test (2.5 s,
// 800 MB). PostgreSQL: a fresh database per test on the server named by TEST_POSTGRES_URL.

export type Backend = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when TEST_POSTGRES_URL is set (CI sets it). */
export function testBackends(): Backend[] {
  return process.env.TEST_POSTGRES_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase {
  backend: Backend;
  /** For PostgreSQL: the URL of this test's own database. */
  url: string | undefined;
  /** For PGlite: the in-memory instance holding this test's data. */
  pglite: PGlite | undefined;
  drop(): Promise<void>;
}

const templateDir = join(process.cwd(), '.tmp');

function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  const dir = join(process.cwd(), 'server/db/migrations');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  hash.update(JSON.stringify(jobRegistry.map((j) => [j.name, j.queue])));
  return hash.digest('hex').slice(0, 16);
}

const pgliteOptions = { parsers: pgliteParsers };

async function pgliteTemplate(): Promise<Buffer> {
  const path = join(templateDir, `pglite-template-${migrationsFingerprint()}.tar.gz`);
  if (existsSync(path)) return readFileSync(path);
  const pglite = await PGlite.create(pgliteOptions);
  const database = await openDatabase({ pglite });
  await migrateToLatest(database.db);
  const queue = createJobQueue(database, createLogger({ level: 'silent' }));
  await queue.start(jobRegistry);
  await queue.stop({ graceful: false, timeoutMs: 1000 });
  const dump = await pglite.dumpDataDir('gzip');
  await pglite.close();
  const bytes = Buffer.from(await dump.arrayBuffer());
  mkdirSync(templateDir, { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path); // atomic: parallel test files never read half a template
  return bytes;
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const template = await pgliteTemplate();
    const pglite = await PGlite.create({ ...pgliteOptions, loadDataDir: new Blob([new Uint8Array(template)]) });
    return { backend, url: undefined, pglite, drop: () => pglite.close() };
  }
  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl) throw new Error('TEST_POSTGRES_URL is not set');
  const name = `totalone_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    url: url.toString(),
    pglite: undefined,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
