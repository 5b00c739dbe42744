import type { Logger } from '../lib/logger.ts';
import type { Db, Tx } from './database.ts';

// Telling a lost or refused database connection from every other error. A connection error means
// the statement did not (or may not) run and the database may answer again in a moment: callers
// retry where that is safe, HTTP answers 503 with a retry hint, and the process stays alive.

/** SQLSTATE classes and codes that mean "the connection went away", not "the statement is wrong". */
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, server shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
]);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Client was closed and is not queryable/,
  /terminating connection due to administrator command/,
  /the database system is (starting up|shutting down|in recovery mode)/,
];

export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || CONNECTION_ERRNOS.has(code))) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return true;
    // AggregateError (a refused connection to several addresses) and wrapped causes.
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((inner) => isConnectionError(inner))) return true;
    current = cause;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `action` again when it fails because the database connection was lost or refused. Only for
 * actions that are safe to repeat: one transaction (rolled back as a whole when the connection
 * dies) or an idempotent statement. Any other error, and the last connection error, is thrown.
 */
export async function retryOnConnectionLoss<T>(
  what: string,
  action: () => Promise<T>,
  options: { logger?: Pick<Logger, 'warn'>; attempts?: number; delaysMs?: number[] } = {},
): Promise<T> {
  const delays = options.delaysMs ?? [100, 500, 1000, 2000, 4000];
  const attempts = options.attempts ?? delays.length + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (!isConnectionError(error) || attempt >= attempts) throw error;
      const delayMs = delays[Math.min(attempt - 1, delays.length - 1)] ?? 1000;
      options.logger?.warn({ err: error, what, attempt, delayMs }, 'database connection lost; trying again');
      await sleep(delayMs);
    }
  }
}

/**
 * One transaction, run again on a new connection when the connection was lost before COMMIT was
 * sent (the server then rolled it back: nothing happened). A connection lost during COMMIT leaves
 * the outcome unknown: without `committed` that error is thrown (still a connection error), never
 * retried blindly. `committed` asks the database, on a new connection, whether the transaction
 * took effect (something only it writes): yes, and it is done; no, and it runs again.
 */
export async function transactionWithRetry<T>(
  db: Db,
  what: string,
  body: (tx: Tx) => Promise<T>,
  options: { logger?: Pick<Logger, 'warn'>; delaysMs?: number[]; committed?: () => Promise<boolean> } = {},
): Promise<T> {
  const delays = options.delaysMs ?? [100, 500, 1000, 2000, 4000];
  for (let attempt = 1; ; attempt++) {
    let committing = false;
    let result: T;
    try {
      return await db.transaction().execute(async (tx) => {
        result = await body(tx);
        committing = true;
        return result;
      });
    } catch (error) {
      if (!isConnectionError(error) || attempt > delays.length) throw error;
      if (committing) {
        if (!options.committed) throw error;
        const tookEffect = await retryOnConnectionLoss(`${what}: did its commit take effect`, options.committed, { logger: options.logger, delaysMs: delays });
        options.logger?.warn({ err: error, what, attempt, tookEffect }, tookEffect ? 'database connection lost during COMMIT; the transaction had taken effect' : 'database connection lost during COMMIT; the transaction had not taken effect and runs again');
        if (tookEffect) return result!;
        continue;
      }
      const delayMs = delays[attempt - 1]!;
      options.logger?.warn({ err: error, what, attempt, delayMs }, 'database connection lost; the transaction was rolled back and runs again');
      await sleep(delayMs);
    }
  }
}
