import { isConnectionError } from '../db/connection-errors.ts';
import type { Logger } from '../lib/logger.ts';

// Last-resort handlers of the process. Nothing should reach them: every database client has an
// error listener and job bookkeeping never throws. What still does is logged; then:
// - a lost database connection (a socket error nobody was waiting for, or a statement on it that
//   nobody awaited) is survivable: the pool opens new connections, so the process keeps serving;
// - any other unhandled rejection is logged as an error and the process keeps serving (the code
//   that started the promise has already moved on; nothing it holds is left half-changed);
// - any other uncaught exception means state we cannot trust: the process stops cleanly (HTTP
//   stops accepting, running jobs are handed back, connections close) within a deadline and exits
//   with status 1, so the supervisor starts a fresh one.

export interface ProcessGuardOptions {
  logger: Logger;
  /** Stops the system cleanly (System.close). */
  shutdown: () => Promise<void>;
  shutdownTimeoutMs?: number;
  exit?: (code: number) => void;
}

export function installProcessGuards(options: ProcessGuardOptions): () => void {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  const onRejection = (reason: unknown) => {
    if (isConnectionError(reason)) {
      logger.warn({ err: reason }, 'a database statement failed because its connection was lost; nothing waited for it, the process carries on');
      return;
    }
    logger.error({ err: reason }, 'unhandled promise rejection; the process carries on');
  };

  const onException = (error: Error) => {
    if (isConnectionError(error)) {
      logger.warn({ err: error }, 'a database connection was lost; the process carries on with new connections');
      return;
    }
    logger.fatal({ err: error }, 'uncaught exception: stopping cleanly');
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => exit(1), options.shutdownTimeoutMs ?? 15_000);
    deadline.unref();
    options
      .shutdown()
      .catch((shutdownError) => logger.error({ err: shutdownError }, 'error while stopping after an uncaught exception'))
      .finally(() => {
        clearTimeout(deadline);
        exit(1);
      });
  };

  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
