import type { PGlite, Transaction } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

// A Kysely dialect for PGlite that is safe under concurrent transactions.
//
// PGlite is one database session. Published dialects send BEGIN/COMMIT as ordinary queries, so two
// concurrent Kysely transactions interleave on that one session (a rolled-back row got committed,
// committed rows were lost). Here every Kysely transaction runs inside `pglite.transaction()`,
// which holds PGlite's own transaction lock: other transactions, single queries and pg-boss (which
// talks to the same PGlite instance directly) wait until it ends.

export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite);
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  constructor(private readonly pglite: PGlite) {}
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    // A fresh connection object per acquisition: transaction state must never be shared.
    return new PGliteConnection(this.pglite);
  }
  async beginTransaction(connection: DatabaseConnection) {
    await (connection as PGliteConnection).begin();
  }
  async commitTransaction(connection: DatabaseConnection) {
    await (connection as PGliteConnection).end(true);
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    await (connection as PGliteConnection).end(false);
  }
  async releaseConnection() {}
  async destroy() {}
}

class PGliteConnection implements DatabaseConnection {
  private tx: Transaction | undefined;
  private finish: ((commit: boolean) => void) | undefined;
  private finished: Promise<void> | undefined;

  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const target = this.tx ?? this.pglite;
    // Like node-postgres, a query without parameters goes through the simple protocol, which
    // allows several statements (migrations use that); PGlite's query() would refuse them.
    const result =
      compiled.parameters.length === 0
        ? ((await target.exec(compiled.sql)).at(-1) ?? { rows: [], fields: [], affectedRows: 0 })
        : await target.query<R>(compiled.sql, compiled.parameters as unknown[], { rowMode: 'object' });
    const affected = result.affectedRows;
    return {
      rows: result.rows as R[],
      ...(affected !== undefined && !/^\s*select/i.test(compiled.sql) ? { numAffectedRows: BigInt(affected) } : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on PGlite');
  }

  async begin(): Promise<void> {
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    this.finished = this.pglite.transaction(async (tx) => {
      this.tx = tx;
      started();
      const commit = await new Promise<boolean>((resolve) => (this.finish = resolve));
      if (!commit) await tx.rollback();
    });
    // If the transaction cannot even start, surface that error instead of waiting forever.
    await Promise.race([ready, this.finished]);
  }

  async end(commit: boolean): Promise<void> {
    // A ROLLBACK after the COMMIT itself failed: nothing is open to undo (PostgreSQL only warns).
    if (!commit && !this.finished) return;
    if (!this.finish || !this.finished) throw new Error('No transaction is open on this connection');
    this.finish(commit);
    try {
      await this.finished;
    } finally {
      this.tx = undefined;
      this.finish = undefined;
      this.finished = undefined;
    }
  }
}
