import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrateToLatest, openDatabase, pgliteParsers, type DatabaseHandle } from '../../server/db/database.ts';
import { createJobQueue } from '../../server/jobs/queue.ts';
import { jobRegistry } from '../../server/jobs/registry.ts';
import { createLogger } from '../../server/lib/logger.ts';

// Test databases start migrated (our migrations and pg-boss's schema and queues), made once per set
// of migrations instead of once per test:
// - PGlite: a template data folder, shut down cleanly (so loading it needs no crash recovery) and
//   kept as an uncompressed tar, is loaded into memory for each test.
// - PostgreSQL: each test's database is a copy (CREATE DATABASE ... TEMPLATE) of a migrated
//   template database on the server named by TEST_POSTGRES_URL.
// `{ empty: true }` gives a database no migration has touched (PostgreSQL only: start-up tests).

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

let fingerprint: string | undefined;
function migrationsFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  const dir = join(process.cwd(), 'server/db/migrations');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  hash.update(JSON.stringify(jobRegistry.map((j) => [j.name, j.queue])));
  fingerprint = hash.digest('hex').slice(0, 16);
  return fingerprint;
}

const pgliteOptions = { parsers: pgliteParsers };

/** Our schema and pg-boss's, with every job's queue: what start-up would create. */
async function migrate(database: DatabaseHandle): Promise<void> {
  await migrateToLatest(database.db);
  const queue = createJobQueue(database, createLogger({ level: 'silent' }));
  await queue.start(jobRegistry);
  await queue.stop({ graceful: false, timeoutMs: 1000 });
}

/** A plain ustar archive of a folder, as PGlite's `loadDataDir` reads it. */
function tarOf(root: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const stat = statSync(join(root, path));
      const isDir = stat.isDirectory();
      const entryName = isDir ? `${path}/` : path;
      if (Buffer.byteLength(entryName) > 100) throw new Error(`path too long for a tar header: ${entryName}`);
      const data = isDir ? Buffer.alloc(0) : readFileSync(join(root, path));
      const header = Buffer.alloc(512);
      header.write(entryName, 0, 100);
      header.write(`${(isDir ? 0o700 : 0o600).toString(8).padStart(7, '0')}\0`, 100);
      header.write('0000000\0', 108); // uid
      header.write('0000000\0', 116); // gid
      header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
      header.write(`${Math.floor(stat.mtimeMs / 1000).toString(8).padStart(11, '0')}\0`, 136);
      header.write(isDir ? '5' : '0', 156);
      header.write('ustar\x0000', 257);
      header.write('        ', 148); // the checksum counts its own field as spaces
      let checksum = 0;
      for (const byte of header) checksum += byte;
      header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
      parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
      if (isDir) walk(path);
    }
  };
  walk('');
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// PostgreSQL compiled to WebAssembly, compiled once per process however many tests load it.
let compiledPglite: Promise<WebAssembly.Module> | undefined;
function pgliteModule(): Promise<WebAssembly.Module> {
  compiledPglite ??= WebAssembly.compile(readFileSync(new URL('pglite.wasm', import.meta.resolve('@electric-sql/pglite'))));
  return compiledPglite;
}

let pgliteTemplateBytes: Buffer | undefined;
async function pgliteTemplate(): Promise<Buffer> {
  if (pgliteTemplateBytes) return pgliteTemplateBytes;
  const path = join(templateDir, `pglite-template-${migrationsFingerprint()}.tar`);
  if (!existsSync(path)) {
    mkdirSync(templateDir, { recursive: true });
    // Built in a data folder on disk and closed: a clean shutdown, so each load starts at once.
    const dataDir = mkdtempSync(join(templateDir, 'pglite-template-build-'));
    try {
      // 1 MB WAL segments instead of 16: less to load into memory for every test.
      const pglite = await PGlite.create(dataDir, { ...pgliteOptions, initDbStartParams: ['--wal-segsize=1'] });
      const database = await openDatabase({ pglite });
      await migrate(database);
      await pglite.exec('CHECKPOINT');
      await pglite.close();
      const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(temporary, tarOf(dataDir));
      renameSync(temporary, path); // atomic: parallel test files never read half a template
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  pgliteTemplateBytes = readFileSync(path);
  return pgliteTemplateBytes;
}

/**
 * A demo data folder whose embedded database is created and migrated already (the template, on
 * disk): what a first `npm start` leaves behind, without its initdb and migrations, which take tens
 * of seconds (the first start itself: production-build.test.ts, server/db/pglite-open.int.test.ts).
 */
export async function migratedDemoDataFolder(dataDir: string): Promise<void> {
  const archive = await pgliteTemplate();
  const root = join(dataDir, 'pglite');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  // The archive tarOf() wrote: 512-byte headers (name, octal size, type '0' file or '5' folder), data padded to 512.
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512);
    const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(header.toString('utf8', 124, 136).replace(/\0.*$/s, '').trim(), 8);
    const data = archive.subarray(offset + 512, offset + 512 + size);
    if (String.fromCharCode(header[156]!) === '5') mkdirSync(join(root, name), { recursive: true, mode: 0o700 });
    else writeFileSync(join(root, name), data, { mode: 0o600 });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The migrated template database on the server, made by the first test file that needs it. */
async function postgresTemplate(serverUrl: string): Promise<string> {
  const name = `totalone_template_${migrationsFingerprint()}`;
  return withAdmin(serverUrl, async (admin) => {
    const exists = async () => (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (await exists()) return name;
    // One builder at a time across test processes; the others find it made.
    await admin.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
    try {
      if (await exists()) return name;
      const building = `${name}_build_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${building}`);
      const database = await openDatabase({ url: databaseUrl(serverUrl, building), poolSize: 2 });
      try {
        await migrate(database);
      } finally {
        await database.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      return name;
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]);
    }
  });
}

export async function createTestDatabase(backend: Backend, options: { empty?: boolean } = {}): Promise<TestDatabase> {
  if (backend === 'pglite') {
    if (options.empty) throw new Error('an empty test database is made on PostgreSQL only');
    const template = await pgliteTemplate();
    // What PGlite reads of a Blob, without a Blob: Node 20's Blob copies 40 MB slowly, chunk by chunk.
    const tar = { type: 'application/x-tar', arrayBuffer: async () => template.buffer.slice(template.byteOffset, template.byteOffset + template.byteLength) } as Blob;
    const pglite = await PGlite.create({ ...pgliteOptions, loadDataDir: tar, pgliteWasmModule: await pgliteModule() });
    return { backend, url: undefined, pglite, drop: () => pglite.close() };
  }
  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl) throw new Error('TEST_POSTGRES_URL is not set');
  const template = options.empty ? undefined : await postgresTemplate(serverUrl);
  const name = `totalone_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  return {
    backend,
    url: databaseUrl(serverUrl, name),
    pglite: undefined,
    drop: () => withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
