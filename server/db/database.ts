import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import { takeDataFolderLock } from './data-folder-lock.ts';
import { migrationProvider } from './migrations/index.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { openPgliteDataDir } from './pglite-open.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: repository functions accept both. */
export type DbOrTx = Db | Tx;

/** What pg-boss needs to run SQL on our database (its `db` option). */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

export interface DatabaseHandle {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Set when pg-boss should use its own pool on a PostgreSQL server. */
  connectionString: string | undefined;
  /** Set on PGlite: pg-boss runs through the same single session. */
  bossExecutor: SqlExecutor | undefined;
  pglite: PGlite | undefined;
  /** PostgreSQL: the pool, for the few places that hold one session (advisory session locks). */
  pgPool: pg.Pool | undefined;
  close(): Promise<void>;
}

// int8 (counts, bigserial) as a JavaScript number on both back-ends: PGlite would give a number
// and node-postgres a string otherwise. Values stay far below 2^53.
// A `date` column stays the 'YYYY-MM-DD' text it is: turned into a JS Date it would depend on the
// server's time zone.
const INT8 = 20;
const DATE = 1082;
const pgTypes = {
  getTypeParser: (oid: number, format?: any) =>
    oid === INT8 ? (v: string) => Number(v) : oid === DATE ? (v: string) => v : pg.types.getTypeParser(oid, format),
};
export const pgliteParsers = { [INT8]: (v: string) => Number(v), [DATE]: (v: string) => v };

export interface OpenDatabaseOptions {
  url?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number;
  /** An already opened PGlite (tests load a migrated template into memory). */
  pglite?: PGlite;
  /**
   * PostgreSQL: a pool (from `createPostgresPool`) its owner keeps open and closes, for the
   * application and the job queue alike. Tests keep one per test database, so that a test's system
   * does not open and close its connections anew.
   */
  pool?: pg.Pool;
  logger?: Logger;
}

/**
 * A pool of connections to the PostgreSQL server at `url`, as the application uses it: int8 as a
 * number, dates as text, TCP keep-alive and a connection timeout, and a lost connection logged (not
 * a crash).
 */
export function createPostgresPool(url: string, options: { poolSize?: number; logger?: Logger } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 20,
    types: pgTypes,
    // A dead peer is noticed by TCP, a full pool or an unreachable server fails the request
    // instead of holding it forever.
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
  // node-postgres emits `error` on a client whose connection dies. The pool listens only while a
  // client is idle; a checked-out client (a transaction, the sync lock) would crash the process.
  // Every client gets a listener for its whole life: its queries fail, the pool drops it on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.logger?.warn({ err: error }, 'database connection lost; its statements fail and the pool opens a new one'));
  });
  return pool;
}

/** The pool's `error` listener: an idle connection that died is dropped by the pool, and logged. */
function droppedFromPool(logger: Logger | undefined): (error: Error) => void {
  return (error) => logger?.debug({ err: error }, 'idle database connection dropped from the pool');
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.pool) {
    // Someone else's pool: used, never ended; the job queue runs on it too.
    const pool = options.pool;
    const dropped = droppedFromPool(options.logger);
    pool.on('error', dropped);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end: async () => {} } }) });
    return {
      kind: 'postgres',
      db,
      connectionString: options.url,
      bossExecutor: { executeSql: (text, values) => pool.query(text, values) },
      pglite: undefined,
      pgPool: pool,
      close: async () => {
        await db.destroy();
        pool.off('error', dropped);
      },
    };
  }
  if (options.url) {
    const pool = createPostgresPool(options.url, options);
    pool.on('error', droppedFromPool(options.logger));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      kind: 'postgres',
      db,
      connectionString: options.url,
      bossExecutor: undefined,
      pglite: undefined,
      pgPool: pool,
      close: () => db.destroy(),
    };
  }

  let releaseLock = () => {};
  let pglite = options.pglite;
  if (!pglite) {
    const dataDir = resolve(options.dataDir ?? './data');
    const pgliteDir = join(dataDir, 'pglite');
    makePrivateFolder(dataDir);
    makePrivateFolder(pgliteDir);
    releaseLock = takeDataFolderLock(join(dataDir, 'pglite.lock'));
    try {
      pglite = await openPgliteDataDir(pgliteDir, { parsers: pgliteParsers });
      // The embedded server writes its files readable and writable by everyone (0666); the
      // folders above are 0700 already, and the files are made private as well.
      makePrivateFolder(pgliteDir); // a first start moved a new folder into place
      makeFilesPrivate(pgliteDir);
    } catch (error) {
      releaseLock();
      throw error;
    }
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  const owned = !options.pglite;
  const session = pglite;
  return {
    kind: 'pglite',
    db,
    connectionString: undefined,
    bossExecutor: pgliteExecutor(session),
    pglite: session,
    pgPool: undefined,
    close: async () => {
      await db.destroy();
      if (owned) await session.close();
      releaseLock();
    },
  };
}

/** pg-boss on PGlite: parameter-less SQL may hold several statements, so it goes through exec(). */
/** Creates the folder (and its parents) if needed; it is the owner's alone: 0700. */
export function makePrivateFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/** Takes group and other permissions off every file and folder below `root` (no links followed). */
export function makeFilesPrivate(root: string): void {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
    if (stat.isDirectory()) makeFilesPrivate(path);
  }
}

export function pgliteExecutor(pglite: PGlite): SqlExecutor {
  return {
    async executeSql(text, values) {
      if (!values || values.length === 0) {
        const results = await pglite.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      }
      const result = await pglite.query(text, values);
      return { rows: result.rows as any[] };
    },
  };
}

/** pg-boss inside one of our transactions, so a job is enqueued only if the transaction commits. */
export function transactionExecutor(tx: DbOrTx): SqlExecutor {
  return {
    async executeSql(text, values) {
      const result = await tx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as any[] };
    },
  };
}

export async function migrateToLatest(db: Db): Promise<void> {
  if (await everyMigrationApplied(db)) return;
  // Migrations are numbered by area and may land in any order; each still runs exactly once.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Whether the database holds exactly the migrations this code has: then start-up has nothing to
 * migrate and skips Kysely's migrator, whose first step reads the columns of every table (a tenth
 * of a second on PGlite, at every start). Anything else, a missing or an unknown migration, goes
 * through the migrator as always (under its lock; it refuses a database newer than the code). The
 * table is named as the migrator names it, found on the search path.
 */
async function everyMigrationApplied(db: Db): Promise<boolean> {
  const { rows: [table] } = await sql<{ present: boolean }>`SELECT to_regclass('kysely_migration') IS NOT NULL AS present`.execute(db);
  if (!table?.present) return false;
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db);
  const applied = new Set(rows.map((r) => r.name));
  const known = Object.keys(await migrationProvider.getMigrations());
  return applied.size === known.length && known.every((name) => applied.has(name));
}

/**
 * Start-up schema work (our migrations, the job queue's schema and queues) one instance at a time:
 * pg-boss creates queues (tables, partitions) without a lock of its own, and two instances doing
 * that at once deadlock. On PostgreSQL a session advisory lock on its own connection, released
 * when done (or by the server, if the process dies); PGlite is one process, nothing to serialise.
 */
export async function withStartupLock<T>(database: DatabaseHandle, work: () => Promise<T>, logger?: Logger): Promise<T> {
  if (database.kind !== 'postgres' || !database.pgPool) return work();
  const client = await database.pgPool.connect();
  const key = 'totalone:start-up schema';
  let released = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key]);
    if (!rows[0]?.locked) {
      logger?.info('another instance is setting up the database schema; waiting for it');
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    }
    const result = await work();
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    client.release();
    released = true;
    return result;
  } finally {
    // On any failure the session is closed, which releases its advisory lock.
    if (!released) client.release(new Error('start-up lock released by closing its session'));
  }
}

/**
 * Readiness: can this process reach its database now? On PostgreSQL a new session is opened (a
 * pooled one may outlive a server that refuses new connections) and `SELECT 1` runs, both within
 * `timeoutMs`; on PGlite the query runs on the one session.
 */
export async function probeDatabase(database: Pick<DatabaseHandle, 'kind' | 'db' | 'connectionString'>, timeoutMs = 2000): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const probe = async () => {
    if (database.kind === 'postgres' && database.connectionString) {
      const client = new pg.Client({ connectionString: database.connectionString, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
      client.on('error', () => {}); // a session ended under the probe is its answer, not a crash
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => {});
      }
    } else {
      await database.db.executeQuery(CompiledQuery.raw('SELECT 1'));
    }
  };
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
