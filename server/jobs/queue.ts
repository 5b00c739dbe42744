import PgBoss from 'pg-boss';
import type { z } from 'zod';
import { transactionExecutor, type DatabaseHandle, type DbOrTx } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';

// Jobs are declared (dotted name, payload schema, queue policy) and handled in the module that owns
// them. Any job may run twice (a retry can overlap a slow first run), so every handler is idempotent.

export interface JobDefinition<T> {
  name: string;
  payload: z.ZodType<T>;
  queue: Omit<PgBoss.Queue, 'name'>;
}

export function defineJob<T>(definition: JobDefinition<T>): JobDefinition<T> {
  return definition;
}

export interface EnqueueOptions {
  /** Enqueue inside this transaction: the job exists only if the transaction commits. */
  tx?: DbOrTx;
  singletonKey?: string;
  startAfter?: Date | number;
}

export interface JobQueue {
  enqueue<T>(job: JobDefinition<T>, payload: T, options?: EnqueueOptions): Promise<string | null>;
  work<T>(job: JobDefinition<T>, options: { batchSize?: number; pollingIntervalSeconds?: number }, handler: (payload: T, jobId: string) => Promise<void>): Promise<void>;
  start(definitions: JobDefinition<any>[]): Promise<void>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
  boss: PgBoss;
}

export function createJobQueue(database: DatabaseHandle, logger: Logger): JobQueue {
  const boss = new PgBoss({
    ...(database.bossExecutor ? { db: database.bossExecutor } : { connectionString: database.connectionString!, max: 4 }),
    schema: 'pgboss',
    // Maintenance and cron on every instance is fine: pg-boss coordinates through the database.
    supervise: true,
    schedule: true,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));

  return {
    boss,
    async start(definitions) {
      await boss.start();
      for (const job of definitions) {
        const existing = await boss.getQueue(job.name);
        if (existing) await boss.updateQueue(job.name, { name: job.name, ...job.queue });
        else await boss.createQueue(job.name, { name: job.name, ...job.queue });
      }
    },
    async enqueue(job, payload, options = {}) {
      const data = job.payload.parse(payload) as object;
      return boss.send(job.name, data, {
        ...(options.tx ? { db: transactionExecutor(options.tx) } : {}),
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
        ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
      });
    },
    async work(job, options, handler) {
      await boss.work<unknown>(
        job.name,
        { batchSize: options.batchSize ?? 10, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5 },
        async (jobs) => {
          // pg-boss fails the whole batch if the handler throws; run each job on its own and fail
          // only the ones that threw, so one bad email does not resend nine good ones.
          await Promise.all(
            jobs.map(async (entry) => {
              try {
                const payload = job.payload.parse(entry.data);
                await handler(payload, entry.id);
              } catch (error) {
                logger.warn({ err: error, job: job.name, jobId: entry.id }, 'job failed; pg-boss will retry it');
                await boss.fail(job.name, entry.id, { message: error instanceof Error ? error.message : String(error) });
              }
            }),
          );
        },
      );
    },
    async stop(options = {}) {
      await boss.stop({ graceful: options.graceful ?? true, timeout: options.timeoutMs ?? 10_000, wait: true });
    },
  };
}
