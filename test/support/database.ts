import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { takeDataFolderLock } from '../../server/db/data-folder-lock.ts';
import { createPostgresPool, migrateToLatest, openDatabase, pgliteParsers, type DatabaseHandle } from '../../server/db/database.ts';
import { pgliteSettings } from '../../server/db/pglite-open.ts';
import { createJobQueue } from '../../server/jobs/queue.ts';
import { jobRegistry } from '../../server/jobs/registry.ts';
import { createLogger } from '../../server/lib/logger.ts';

// Test databases start migrated (our migrations and pg-boss's schema and queues), made once per set
// of migrations instead of once per test:
// - PGlite: a template data folder, shut down cleanly (so loading it needs no crash recovery) and
//   kept as an uncompressed tar, is loaded into memory for each test.
// - PostgreSQL: each test's database is a copy (CREATE DATABASE ... TEMPLATE) of a migrated
//   template database on the server named by TEST_POSTGRES_URL. It comes with a pool of connections
//   that the test's systems use (the application and its job queue) and that outlives them: the
//   next test on the same database reuses its connections. A PostgreSQL connection costs the server
//   about 40 ms of CPU to open and close, and a system opened six or seven of its own.
// `{ empty: true }` gives a database no migration has touched (PostgreSQL only: start-up tests).

export type Backend = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when TEST_POSTGRES_URL is set (CI sets it). */
export function testBackends(): Backend[] {
  return process.env.TEST_POSTGRES_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * The one database of a test that is not about the database (a browser journey, the emulator's
 * scenarios, HTTP headers): PostgreSQL, as in production, when the run has one (TEST_POSTGRES_URL,
 * as in CI), else PGlite. What the database does is tested on both (testBackends). PGlite runs
 * PostgreSQL compiled to WebAssembly inside the test's own process, at several times the CPU of the
 * server (the two longest browser journeys: 72-75 s of machine CPU on PostgreSQL against 82 s).
 */
export function preferredBackend(): Backend {
  return process.env.TEST_POSTGRES_URL ? 'postgres' : 'pglite';
}

export interface TestDatabase {
  backend: Backend;
  /** For PostgreSQL: the URL of this test's own database. */
  url: string | undefined;
  /** For PGlite: the in-memory instance holding this test's data. */
  pglite: PGlite | undefined;
  /** For PostgreSQL (unless `empty`): the pool a test's systems share, kept open by the database. */
  pool: pg.Pool | undefined;
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
  // The job queue's start-up adds to pg-boss' schema (the trigger that wakes workers).
  hash.update(readFileSync(join(process.cwd(), 'server/jobs/queue.ts')));
  fingerprint = hash.digest('hex').slice(0, 16);
  return fingerprint;
}

// As the demo opens its database (server/db/pglite-open.ts): its settings, e.g. 32 MB of shared buffers.
const pgliteOptions = { parsers: pgliteParsers, startParams: [...PGlite.defaultStartParams, ...pgliteSettings] };

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

/**
 * Runs `build` in one test process at a time (the test processes of a run start together, and a
 * PGlite template costs seconds of CPU to make): the others wait until `done()`. The lock is the
 * data folder's (server/db/data-folder-lock.ts), so a lock left by a process that died is taken over.
 */
async function oneBuilderAtATime(lockPath: string, done: () => boolean, build: () => Promise<void>): Promise<void> {
  mkdirSync(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  while (!done()) {
    let release: () => void;
    try {
      release = takeDataFolderLock(lockPath);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      if (!done()) await build();
    } finally {
      release();
    }
  }
}

let pgliteTemplateBytes: Buffer | undefined;
async function pgliteTemplate(): Promise<Buffer> {
  if (pgliteTemplateBytes) return pgliteTemplateBytes;
  const path = join(templateDir, `pglite-template-${migrationsFingerprint()}.tar`);
  if (!existsSync(path)) await oneBuilderAtATime(`${path}.lock`, () => existsSync(path), async () => {
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
  });
  const bytes = readFileSync(path);
  // A buffer of its own (a large file is read into one), handed to every new PGlite as it is.
  pgliteTemplateBytes = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
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

// A test's database is emptied when the test lets it go and handed to the next test of the same
// process: loading PGlite costs about a second of CPU and a copy of the PostgreSQL template a
// quarter of one, emptying it a few milliseconds. It is emptied back to what the template holds
// (every row deleted, the template's rows put back, sequences restarted, the session reset), and
// only if its schema is still the template's; a test that changed the schema, or closed the
// instance, gets its database thrown away. A test holds its PGlite through a lease: once let go,
// anything the test left running fails instead of writing into the next test's data.

interface Reset {
  /** The statements that empty a database back to the template. */
  statements: string;
  /** The schema as the template has it. */
  schema: string;
}

const SCHEMA_FINGERPRINT = `
  SELECT md5(string_agg(n.nspname::text || '.' || c.relname::text || ':' || c.relkind::text || ':' || c.relnatts::text, ',' ORDER BY n.nspname, c.relname)) AS schema
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'`;

type Query = <R>(text: string) => Promise<R[]>;

/** Read off a database fresh from the template: what emptying one takes. */
async function readReset(query: Query): Promise<Reset> {
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const tables = await query<{ nspname: string; relname: string }>(`
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'pgboss') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY 1, 2`);
  const statements = ['SET session_replication_role = replica;'];
  for (const { nspname, relname } of tables) {
    const table = `${quote(nspname)}.${quote(relname)}`;
    statements.push(`DELETE FROM ${table};`);
    const [{ rows }] = (await query<{ rows: string | null }>(`SELECT json_agg(t)::text AS rows FROM ${table} t`)) as [{ rows: string | null }];
    if (rows) statements.push(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, '${rows.replace(/'/g, "''")}');`);
  }
  for (const { schemaname, sequencename } of await query<{ schemaname: string; sequencename: string }>('SELECT schemaname, sequencename FROM pg_sequences')) {
    statements.push(`ALTER SEQUENCE ${quote(schemaname)}.${quote(sequencename)} RESTART;`);
  }
  statements.push('RESET session_replication_role;');
  const [{ schema }] = (await query<{ schema: string }>(SCHEMA_FINGERPRINT)) as [{ schema: string }];
  return { statements: statements.join('\n'), schema };
}

/** Databases a process keeps for its next tests (a test may hold two at once). */
const IDLE_PER_PROCESS = 2;

let pgliteReset: Promise<Reset> | undefined;
const idlePglite: PGlite[] = [];
// An open PGlite keeps a timer of its PostgreSQL running (ten seconds): a test worker closes its
// idle ones when scripts/test.mjs lets it go, so the process ends then rather than seconds later.
process.once('disconnect', () => {
  for (const pglite of idlePglite.splice(0)) void pglite.close().catch(() => undefined);
});

/** Empties a PGlite a test let go of; false when it cannot be used again. */
async function emptyPglite(pglite: PGlite, reset: Reset): Promise<boolean> {
  if (pglite.closed) return false;
  try {
    // Whatever the test left: an open transaction, settings, advisory locks, temporary tables.
    await pglite.exec('ROLLBACK');
    await pglite.exec('DISCARD ALL');
    const [{ schema }] = (await pglite.query<{ schema: string }>(SCHEMA_FINGERPRINT)).rows as [{ schema: string }];
    if (schema !== reset.schema) return false;
    await pglite.transaction(async (tx) => {
      await tx.exec(reset.statements);
    });
    return true;
  } catch {
    return false;
  }
}

/** What a test holds: the PGlite, until it lets it go (a PGlite the test closed is not handed on). */
function leasePglite(pglite: PGlite): { lease: PGlite; end(): void } {
  let ended = false;
  const lease = new Proxy(pglite, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (ended) throw new Error(`this test database was let go; ${String(property)}() was called after the test ended`);
        return value.apply(target, args);
      };
    },
  });
  return { lease, end: () => void (ended = true) };
}

async function leasedPglite(): Promise<TestDatabase> {
  let pglite = idlePglite.pop();
  if (!pglite) {
    const template = await pgliteTemplate();
    // What PGlite reads of a Blob, without a Blob: Node 20's Blob copies 40 MB slowly, chunk by chunk.
    // The template's own bytes, not a copy: PGlite only reads the archive, and copies each file out
    // of it into its file system (a 40 MB copy per instance cost about 0.1 s of CPU, page faults
    // mostly).
    const tar = { type: 'application/x-tar', arrayBuffer: async () => template.buffer } as Blob;
    pglite = await PGlite.create({ ...pgliteOptions, loadDataDir: tar, pgliteWasmModule: await pgliteModule() });
    const fresh = pglite;
    pgliteReset ??= readReset(async (text) => (await fresh.query(text)).rows as never);
    await pgliteReset;
  }
  const instance = pglite;
  const { lease, end } = leasePglite(instance);
  let dropped: Promise<void> | undefined;
  return {
    backend: 'pglite',
    url: undefined,
    pglite: lease,
    pool: undefined,
    drop: () =>
      (dropped ??= (async () => {
        end();
        if (idlePglite.length < IDLE_PER_PROCESS && (await emptyPglite(instance, await pgliteReset!))) idlePglite.push(instance);
        else if (!instance.closed) await instance.close();
      })()),
  };
}

let postgresReset: Promise<Reset> | undefined;
/** Once per process: leftovers of ended processes dropped, this one's idle databases dropped at exit. */
let serverPrepared: Promise<void> | undefined;
const idlePostgres: Array<{ name: string; pool: pg.Pool }> = [];
const poolPrefix = `totalone_test_p${process.pid}_`;

function dropDatabase(admin: pg.Client, name: string) {
  return admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** The sessions a test database's pool keeps when it is handed to the next test. */
const KEPT_SESSIONS = 4;

/**
 * A test database's pool: the application's kind of pool, that lets the process end while idle.
 * Its idle sessions live a minute rather than node-postgres' ten seconds: a test that waits (a
 * retry's backoff, a process restarting) would otherwise find them closed and open them again, and
 * a session costs the server about 40 ms of CPU to open and end (measured: the integration and
 * chaos tests on both databases opened 490 sessions against 684). Handed on, a pool keeps at most
 * KEPT_SESSIONS: four test processes with two idle databases each stay far below the server's
 * max_connections (100).
 */
function testPool(url: string): pg.Pool {
  const pool = createPostgresPool(url);
  pool.options.allowExitOnIdle = true;
  pool.options.idleTimeoutMillis = 60_000;
  // An idle connection a test ended (a dropped-connection test, the database dropped) is let go.
  pool.on('error', () => undefined);
  return pool;
}

/** Empties a PostgreSQL database a test let go of, over its pool; false when it cannot be used again. */
async function emptyPostgres(pool: pg.Pool, reset: Reset): Promise<boolean> {
  // Every connection of the pool is back, or a test may still be using one.
  if (pool.idleCount !== pool.totalCount || pool.waitingCount > 0) return false;
  const clients: pg.PoolClient[] = [];
  let failed: Error | undefined;
  try {
    // Each of the pool's sessions once (an idle one is handed out before a new one is opened).
    const count = Math.max(1, pool.totalCount);
    for (let i = 0; i < count; i++) clients.push(await pool.connect());
    for (const client of clients) {
      // Whatever the test left: an open transaction, settings, advisory locks, LISTEN, temporary tables.
      await client.query('ROLLBACK');
      await client.query('DISCARD ALL');
    }
    // Sessions the test opened of its own (a listener, a second process): ended.
    await clients[0]!.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND NOT (pid = ANY($1::int[]))', [clients.map((client) => (client as unknown as { processID: number }).processID)]);
    const { rows } = await clients[0]!.query<{ schema: string }>(SCHEMA_FINGERPRINT);
    if (rows[0]?.schema !== reset.schema) return false;
    await clients[0]!.query(`BEGIN;\n${reset.statements}\nCOMMIT;`);
    return true;
  } catch (error) {
    failed = error as Error;
    return false;
  } finally {
    clients.forEach((client, index) => client.release(failed ?? (index >= KEPT_SESSIONS ? true : undefined)));
  }
}

/** Databases left on the server by test processes that have ended (killed before they dropped them). */
async function dropLeftovers(serverUrl: string): Promise<void> {
  await withAdmin(serverUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'totalone\\_test\\_p%'`);
    for (const { datname } of rows) {
      const pid = Number(/^totalone_test_p(\d+)_/.exec(datname)?.[1]);
      if (!pid || pid === process.pid) continue;
      try {
        process.kill(pid, 0);
        continue; // its process still runs
      } catch {
        await dropDatabase(admin, datname).catch(() => undefined);
      }
    }
  });
}

function dropIdleOnExit(serverUrl: string): void {
  // beforeExit waits for the work it starts; it fires again afterwards, with nothing left to drop.
  process.on('beforeExit', () => {
    const idle = idlePostgres.splice(0);
    if (idle.length === 0) return;
    void (async () => {
      await Promise.all(idle.map(({ pool }) => pool.end().catch(() => undefined)));
      await withAdmin(serverUrl, async (admin) => {
        for (const { name } of idle) await dropDatabase(admin, name);
      });
    })().catch(() => undefined);
  });
}

export async function createTestDatabase(backend: Backend, options: { empty?: boolean } = {}): Promise<TestDatabase> {
  if (backend === 'pglite') {
    if (options.empty) throw new Error('an empty test database is made on PostgreSQL only');
    return leasedPglite();
  }
  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl) throw new Error('TEST_POSTGRES_URL is not set');
  if (options.empty) {
    const name = `totalone_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
    return {
      backend,
      url: databaseUrl(serverUrl, name),
      pglite: undefined,
      pool: undefined,
      drop: () => withAdmin(serverUrl, (admin) => dropDatabase(admin, name)).then(() => undefined),
    };
  }
  const idle = idlePostgres.pop();
  let name = idle?.name;
  if (!name) {
    const template = await postgresTemplate(serverUrl);
    serverPrepared ??= dropLeftovers(serverUrl).then(() => dropIdleOnExit(serverUrl));
    await serverPrepared;
    name = `${poolPrefix}${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
    const fresh = name;
    postgresReset ??= withAdmin(databaseUrl(serverUrl, fresh), (client) => readReset(async (text) => (await client.query(text)).rows));
    await postgresReset;
  }
  const leased = name;
  const url = databaseUrl(serverUrl, leased);
  const pool = idle?.pool ?? testPool(url);
  let dropped: Promise<void> | undefined;
  return {
    backend,
    url,
    pglite: undefined,
    pool,
    drop: () =>
      (dropped ??= (async () => {
        if (idlePostgres.length < IDLE_PER_PROCESS && (await emptyPostgres(pool, await postgresReset!))) {
          idlePostgres.push({ name: leased, pool });
          return;
        }
        // Not awaited: a connection the test still holds would keep end() waiting; dropping the
        // database (WITH FORCE) ends it.
        void pool.end().catch(() => undefined);
        await withAdmin(serverUrl, (admin) => dropDatabase(admin, leased));
      })()),
  };
}
