import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { z } from 'zod';
import { transactionExecutor, type DatabaseHandle, type DbOrTx } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';

// Jobs. Each job is declared once, in the module that owns it (`<module>.jobs.ts`): its name,
// payload schema, queue policy, worker settings, schedule and handler. `server/jobs/registry.ts`
// lists every module's jobs; start-up creates their queues and the worker role runs them.
// Any job may run twice (a retry can overlap a slow first run), so every handler is idempotent.
//
// Waking: a trigger on pg-boss' job table sends a PostgreSQL notification on `jobsChannel` for
// every job inserted (ours, and those pg-boss' cron schedule inserts), in the inserting
// transaction, so it arrives when the job can be seen; every worker process listens, and the
// queue's workers look at once instead of at their next poll. A worker with nothing to do sleeps
// until the next job of its queue is due (a retry's backoff, a delayed start) or its polling
// interval, whichever is first; polling only covers what inserts no job (jobs that maintenance
// retries after their expiry) and a listening connection that is down. A poll reads whether any
// job of the queue is ready to start and fetches only then.

/** The notification channel of the job queue; the payload is the job's name. */
const jobsChannel = 'totalone_jobs';

/** What a handler is given besides its payload. */
export interface JobRun {
  /** The pg-boss job id. */
  id: string;
  /** The process logger, bound to the job's name and id. */
  logger: Logger;
}

export interface WorkerSettings {
  /**
   * Jobs one worker keeps running at once. The worker fetches up to this many and fetches again as
   * soon as one finishes, so one slow job holds one slot, never the whole batch.
   */
  batchSize: number;
  /**
   * How long an idle worker waits at most before it looks for new jobs again. A job enqueued
   * anywhere wakes it at once, and it wakes when its queue's next job is due.
   */
  pollingIntervalSeconds: number;
  /** Workers per process (default 1); a function of the handler's dependencies when configurable. */
  workers?: number;
}

export interface JobDefinition<T, D = unknown> {
  /** Dotted: `<module>.<what>`, e.g. `mail.send`. */
  name: string;
  payload: z.ZodType<T>;
  /** pg-boss queue options: policy, retries, backoff, expiry, retention. */
  queue: Omit<PgBoss.Queue, 'name'>;
  worker: WorkerSettings | ((deps: D) => WorkerSettings);
  /** Cron (UTC) at which the job is queued with `payload` (`{}` when omitted). */
  schedule?: { cron: string; payload?: T };
  /** Runs one job. Throwing fails the job and pg-boss retries it as `queue` says. */
  handler: (deps: D, payload: T, run: JobRun) => Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJob = JobDefinition<any, any>;

/** Declares a job; `D` is what its handler needs from the running system (checked at the launcher). */
export function defineJob<T, D = unknown>(definition: JobDefinition<T, D>): JobDefinition<T, D> {
  return definition;
}

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;
/** Everything the jobs of `J` need together: the launcher must provide all of it. */
export type JobDeps<J extends readonly AnyJob[]> = UnionToIntersection<{ [K in keyof J]: J[K] extends JobDefinition<any, infer D> ? D : never }[number]>;

export interface EnqueueOptions {
  /** Enqueue inside this transaction: the job exists only if the transaction commits. */
  tx?: DbOrTx;
  singletonKey?: string;
  startAfter?: Date | number;
  /** The job's id, chosen by the caller (so a row can name the job that works on it). */
  id?: string;
  /** Retries of this one job, instead of its queue's. */
  retryLimit?: number;
}

export interface JobQueue {
  enqueue<T>(job: JobDefinition<T, any>, payload: NoInfer<T>, options?: EnqueueOptions): Promise<string | null>;
  /** Starts pg-boss and creates or updates the queues of `jobs` (every role does this). */
  start(jobs: readonly AnyJob[]): Promise<void>;
  /** The worker role: runs every job's workers and sets up its schedule. */
  startWorkers<J extends readonly AnyJob[]>(jobs: J, deps: JobDeps<J>): Promise<void>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
  /** Of these job ids, the ones still waiting, retrying or running (not completed, failed, cancelled or deleted). */
  liveJobIds(job: AnyJob, ids: readonly string[]): Promise<Set<string>>;
  /** Of these payload values of `field`, the ones some live job of `job` carries. */
  livePayloadValues(job: AnyJob, field: string, values: readonly string[]): Promise<Set<string>>;
  /** Cancels the jobs of `job` waiting or retrying whose payload `field` is `value` (inside `tx` when given); returns how many. */
  cancelWaiting(job: AnyJob, field: string, value: string, tx?: DbOrTx): Promise<number>;
  boss: PgBoss;
}

interface FetchedJob {
  id: string;
  data: unknown;
  /** numeric from PostgreSQL: a string on node-postgres. */
  expireInSeconds?: number | string;
}

export interface JobQueueOptions {
  /**
   * How often pg-boss' maintenance runs (default 30 s). Expired jobs are found by it: a job whose
   * fetch was lost with its connection is active until it expires, then taken again at the next
   * maintenance.
   */
  maintenanceIntervalSeconds?: number;
}

/** A schedule as pg-boss stores it. */
interface StoredSchedule {
  name: string;
  cron: string;
  timezone: string;
  data: unknown;
  options: unknown;
}

/**
 * Whether a stored queue already has these settings: pg-boss keeps a setting an update leaves out,
 * and an update without a policy sets the standard one. Start-up updates only a queue that differs.
 */
export function queueHas(stored: object, settings: object): boolean {
  return Object.entries({ policy: 'standard', ...settings }).every(([key, value]) => value === undefined || (stored as Record<string, unknown>)[key] === value);
}

export function createJobQueue(database: DatabaseHandle, logger: Logger, options: JobQueueOptions = {}): JobQueue {
  const boss = new PgBoss({
    ...(database.bossExecutor ? { db: database.bossExecutor } : { connectionString: database.connectionString!, max: 4 }),
    schema: 'pgboss',
    // Maintenance and cron on every instance is fine: pg-boss coordinates through the database.
    supervise: true,
    // pg-boss' own default is 120 s: a job lost with its connection would wait that long after its expiry.
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
    schedule: true,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));

  const workers: Array<{ name: string; stop(): void; nudge(): void; jobEnded(): void; done: Promise<void>; inFlight: Map<string, { name: string }> }> = [];
  let stopping = false;
  const wakeQueue = (name: string) => {
    for (const worker of workers) if (worker.name === name) worker.nudge();
  };
  const listener = createJobsListener(database, logger, {
    onJob: wakeQueue,
    // Notifications may have been missed while the connection was down.
    onReconnect: () => workers.forEach((worker) => worker.nudge()),
  });

  /**
   * Milliseconds until the next waiting job of `name` may start (retry backoff, delayed start): 0 or
   * less when one may start now, undefined when none waits. A read only, much lighter than a fetch.
   * It runs on the job queue's own connections, as its fetches do: the workers of every queue look
   * at the same moments (at start, and each polling interval), and on the application's pool each
   * look would open a connection of its own, held from the requests and closed again when idle.
   * Looks asked for together (in the same turn of the event loop: the workers starting, the polls
   * of queues with the same interval) are one query for all their queues: its planning over the
   * job table's partitions costs most of a look (on PGlite about 0.7 ms of a 0.76 ms look).
   */
  let asked: Map<string, Array<(ms: number | undefined) => void>> | undefined;
  function nextDueMs(name: string): Promise<number | undefined> {
    return new Promise((resolve) => {
      if (!asked) {
        asked = new Map();
        setImmediate(() => void readDue());
      }
      const waiting = asked.get(name);
      if (waiting) waiting.push(resolve);
      else asked.set(name, [resolve]);
    });
  }

  async function readDue(): Promise<void> {
    const batch = asked!;
    asked = undefined;
    let due = new Map<string, number>();
    try {
      const { rows } = (await boss.getDb().executeSql(
        `SELECT name, EXTRACT(EPOCH FROM (min(start_after) - now())) * 1000 AS ms FROM pgboss.job WHERE name = ANY($1::text[]) AND state IN ('created', 'retry') GROUP BY name`,
        [[...batch.keys()]],
      )) as { rows: Array<{ name: string; ms: number | string | null }> };
      due = new Map(rows.filter((row) => row.ms !== null).map((row) => [row.name, Number(row.ms)]));
    } catch {
      // Unknown: each worker sleeps its polling interval and looks again.
    }
    for (const [name, waiting] of batch) for (const resolve of waiting) resolve(due.get(name));
  }

  /** Job bookkeeping (complete/fail) must never escape: a lost update only means the job expires and runs again. */
  // A connection lost at that moment is the usual cause: the update is tried twice more on a new
  // connection; otherwise a long job (an import expires after an hour) would block its queue that
  // long. A completion that did land makes the next a no-op (it only changes an active job); a
  // failure that did land and is marked again counts one retry more, the safe side.
  async function settle(what: 'complete' | 'fail', name: string, id: string, action: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await action();
        return;
      } catch (error) {
        if (attempt < 3 && !stopping) {
          await new Promise((resolve) => setTimeout(resolve, attempt * 500));
          continue;
        }
        logger.warn({ err: error, job: name, jobId: id }, `could not mark the job ${what === 'complete' ? 'completed' : 'failed'}; pg-boss expires it and runs it again`);
        return;
      }
    }
  }

  function runWorker<T, D>(job: JobDefinition<T, D>, settings: WorkerSettings, deps: D) {
    const inFlight = new Map<string, { name: string }>();
    // Set while the worker waits (asleep, or for a slot of its full batch): wakes it.
    let wake: (() => void) | undefined;
    let stopped = false;
    // Set by a notification that arrives while the worker is looking (not waiting): it looks again
    // before it waits. A notification that wakes a waiting worker is used up by that wake.
    let nudged = false;
    // The worker's last look found a job ready to start that the fetch did not give it: held back by
    // the queue's policy (one active import per partner) until a job of the queue ends.
    let heldBack = false;
    /** Waits until woken. */
    const waitForWake = () =>
      new Promise<void>((resolve) => {
        wake = () => {
          wake = undefined;
          resolve();
        };
      });
    /** Sleeps `ms` or until woken; true when the time ran out (nothing woke the worker). */
    const sleep = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(true), ms);
        function done(timedOut = false) {
          clearTimeout(timer);
          wake = undefined;
          resolve(timedOut);
        }
        wake = done;
      });

    /** Runs a fetched job and records how it ended: true when it completed, false when it failed. */
    async function runOne(entry: FetchedJob): Promise<boolean> {
      const jobLogger = logger.child({ job: job.name, jobId: entry.id });
      let timer: NodeJS.Timeout | undefined;
      try {
        const payload = job.payload.parse(entry.data);
        const expireMs = Math.max(1, Number(entry.expireInSeconds ?? 900) || 900) * 1000;
        // As pg-boss does: a handler running past its expiry is failed (and retried); it is not
        // interrupted, so handlers must be idempotent.
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the job ran longer than its ${expireMs / 1000} s expiry`)), expireMs);
        });
        await Promise.race([job.handler(deps, payload, { id: entry.id, logger: jobLogger }), timeout]);
        clearTimeout(timer);
        await settle('complete', job.name, entry.id, () => boss.complete(job.name, entry.id));
        return true;
      } catch (error) {
        clearTimeout(timer);
        jobLogger.warn({ err: error }, 'job failed; pg-boss will retry it');
        await settle('fail', job.name, entry.id, () => boss.fail(job.name, entry.id, { message: error instanceof Error ? error.message : String(error) }));
        return false;
      }
    }

    async function loop(): Promise<void> {
      // Whether the worker last woke because its sleep ran out (a poll) rather than being woken. The
      // first look is a poll too: a process starting finds nothing to do far more often than work.
      let polled = true;
      while (!stopped) {
        const free = settings.batchSize - inFlight.size;
        let fetched: FetchedJob[] = [];
        // A poll first asks whether any job may start: most polls find none, and the read costs a
        // fraction of a fetch (an idle process polls every few seconds per queue, for as long as it runs).
        let dueMs = free > 0 && polled ? await nextDueMs(job.name) : undefined;
        const fetching = free > 0 && (!polled || (dueMs !== undefined && dueMs <= 0));
        polled = false;
        if (fetching) {
          try {
            fetched = ((await boss.fetch(job.name, { batchSize: free })) ?? []) as FetchedJob[];
          } catch (error) {
            logger.warn({ err: error, job: job.name }, 'could not fetch jobs; trying again');
          }
          if (stopped) {
            // Fetched while stopping: hand them straight back so another worker takes them.
            for (const entry of fetched) await settle('fail', job.name, entry.id, () => boss.fail(job.name, entry.id, { message: 'worker stopping' }));
            break;
          }
          for (const entry of fetched) {
            inFlight.set(entry.id, { name: job.name });
            void runOne(entry).then((completed) => {
              const wasFull = inFlight.size >= settings.batchSize;
              inFlight.delete(entry.id);
              // The queue's workers look again unless the end changes nothing they would find: a job
              // that completed, its worker's batch not full. Then only a worker that found a job held
              // back, or is looking now (it may read what was before the end), looks again (jobEnded);
              // for the others a look would cost a fetch and a read for nothing (a job inserted
              // meanwhile, a follow-up of this one too, wakes them itself). A full batch had stopped
              // looking, and a failed job's retry time is read by the look that follows it.
              if (!completed || wasFull || stopped) wakeQueue(job.name);
              else for (const worker of workers) if (worker.name === job.name) worker.jobEnded();
            });
          }
        }
        // A full fetch suggests more work: take it as soon as a slot is free. Otherwise sleep until
        // woken (a notification, a slot freed), the queue's next due job, or the polling interval.
        if (free > 0 && fetched.length === free && inFlight.size < settings.batchSize) continue;
        if (nudged) {
          nudged = false;
          continue;
        }
        if (free > 0 && fetched.length === free) await waitForWake();
        else {
          const pollMs = settings.pollingIntervalSeconds * 1000;
          if (fetching) {
            dueMs = await nextDueMs(job.name);
            heldBack = dueMs !== undefined && dueMs <= 0;
          }
          if (nudged || stopped) continue;
          // A job that may start now but was not fetched is held back by its queue's policy (one
          // active import per partner): the job that holds it wakes the worker when it ends here,
          // the poll when it ends elsewhere.
          polled = await sleep(dueMs === undefined || dueMs <= 0 ? pollMs : Math.min(pollMs, Math.max(20, dueMs + 20)));
        }
      }
      // Let running jobs finish (stop() bounds the wait).
      while (inFlight.size > 0) await waitForWake();
    }

    function nudge() {
      if (wake) wake();
      else nudged = true;
    }

    const done = loop().catch((error) => logger.error({ err: error, job: job.name }, 'job worker stopped unexpectedly'));
    return {
      name: job.name,
      inFlight,
      done,
      stop() {
        stopped = true;
        wake?.();
      },
      nudge,
      jobEnded() {
        if (heldBack || !wake) nudge();
      },
    };
  }

  return {
    boss,
    async start(jobs) {
      await boss.start();
      // Every queue's stored settings in one read, then only what is missing or changed is written.
      const stored = new Map((await boss.getQueues()).map((queue) => [queue.name, queue]));
      for (const job of jobs) {
        const existing = stored.get(job.name);
        if (!existing) await boss.createQueue(job.name, { name: job.name, ...job.queue });
        else if (!queueHas(existing, job.queue)) await boss.updateQueue(job.name, { name: job.name, ...job.queue });
      }
      await notifyOnInsert(database);
    },
    async startWorkers(jobs, deps) {
      for (const job of jobs as readonly AnyJob[]) {
        const settings = typeof job.worker === 'function' ? job.worker(deps) : job.worker;
        for (let i = 0; i < (settings.workers ?? 1); i++) workers.push(runWorker(job, settings, deps));
      }
      await listener.start();
      const scheduled = new Set<string>();
      const schedules = (await boss.getSchedules()) as StoredSchedule[];
      for (const job of jobs as readonly AnyJob[]) {
        if (!job.schedule) continue;
        const payload = (job.schedule.payload ?? {}) as object;
        const stored = schedules.find((schedule) => schedule.name === job.name);
        // Written again only when it changed (pg-boss keeps schedules in the database).
        if (!stored || stored.cron !== job.schedule.cron || stored.timezone !== 'UTC' || !isDeepStrictEqual(stored.data ?? {}, payload) || !isDeepStrictEqual(stored.options ?? {}, {})) {
          await boss.schedule(job.name, job.schedule.cron, payload);
        }
        scheduled.add(job.name);
      }
      // A job that lost its schedule (or no longer exists) must stop being queued by cron.
      for (const schedule of schedules) {
        if (!scheduled.has(schedule.name)) {
          await boss.unschedule(schedule.name);
          logger.info({ job: schedule.name }, 'removed a schedule no job declares any more');
        }
      }
    },
    async enqueue(job, payload, options = {}) {
      const data = job.payload.parse(payload) as object;
      return boss.send(job.name, data, {
        ...(options.tx ? { db: transactionExecutor(options.tx) } : {}),
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
        ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
        ...(options.id ? { id: options.id } : {}),
        ...(options.retryLimit !== undefined ? { retryLimit: options.retryLimit } : {}),
      });
    },
    async liveJobIds(job, ids) {
      if (ids.length === 0) return new Set();
      const { rows } = await sql<{ id: string }>`
        SELECT id::text AS id FROM pgboss.job
        WHERE name = ${job.name} AND id = ANY(${sql.val([...ids])}::uuid[]) AND state IN ('created', 'retry', 'active')`.execute(database.db);
      return new Set(rows.map((r) => r.id));
    },
    async livePayloadValues(job, field, values) {
      if (values.length === 0) return new Set();
      const { rows } = await sql<{ value: string }>`
        SELECT DISTINCT data->>${field} AS value FROM pgboss.job
        WHERE name = ${job.name} AND data->>${field} = ANY(${sql.val([...values])}::text[]) AND state IN ('created', 'retry', 'active')`.execute(database.db);
      return new Set(rows.map((r) => r.value));
    },
    async cancelWaiting(job, field, value, tx) {
      const result = await sql`
        UPDATE pgboss.job SET state = 'cancelled', completed_on = now()
        WHERE name = ${job.name} AND data->>${field} = ${value} AND state IN ('created', 'retry')`.execute(tx ?? database.db);
      return Number(result.numAffectedRows ?? 0);
    },
    async stop(options = {}) {
      if (!stopping) {
        stopping = true;
        const timeoutMs = options.timeoutMs ?? 10_000;
        for (const worker of workers) worker.stop();
        await listener.stop();
        if (options.graceful ?? true) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([Promise.all(workers.map((w) => w.done)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
          clearTimeout(timer);
        }
        // Jobs still running are handed back at once instead of waiting for their expiry.
        for (const worker of workers) {
          for (const [id, { name }] of worker.inFlight) await settle('fail', name, id, () => boss.fail(name, id, { message: 'the process stopped while the job ran' }));
        }
      }
      await boss.stop({ graceful: options.graceful ?? true, timeout: options.timeoutMs ?? 10_000, wait: true });
    },
  };
}

/**
 * The trigger that announces every job inserted into pg-boss' job table on `jobsChannel` (the
 * payload is the queue's name; PostgreSQL sends one per name and transaction, at commit). Created
 * once, under start-up's lock; a row trigger on the partitioned table reaches every queue's
 * partition, those created later too.
 */
async function notifyOnInsert(database: DatabaseHandle): Promise<void> {
  const { rows } = await sql`SELECT 1 FROM pg_trigger WHERE tgname = 'totalone_job_inserted' AND tgrelid = 'pgboss.job'::regclass`.execute(database.db);
  if (rows.length > 0) return;
  await sql.raw(`
    CREATE OR REPLACE FUNCTION pgboss.totalone_job_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('${jobsChannel}', NEW.name);
      RETURN NULL;
    END $$`).execute(database.db);
  await sql.raw(`CREATE TRIGGER totalone_job_inserted AFTER INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION pgboss.totalone_job_inserted()`).execute(database.db);
}

/**
 * Listens on `jobsChannel` for the worker role: through PGlite's own session, or on a PostgreSQL
 * connection of its own that is opened again (with backoff) whenever it drops. Never throws: while
 * it is not listening, the workers still poll.
 */
function createJobsListener(database: DatabaseHandle, logger: Logger, handlers: { onJob(name: string): void; onReconnect(): void }) {
  let stopped = false;
  let unlisten: (() => Promise<void>) | undefined;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let delayMs = 1000;

  async function connect(): Promise<void> {
    if (stopped || !database.connectionString) return;
    // As the pool's connections: a dead peer is noticed by TCP, an unreachable server fails the connect.
    const next = new pg.Client({ connectionString: database.connectionString, application_name: 'totalone-jobs-listener', keepAlive: true, connectionTimeoutMillis: 10_000 });
    let lost = false;
    const reconnect = (error?: unknown) => {
      if (lost) return;
      lost = true;
      if (client === next) client = undefined;
      void next.end().catch(() => undefined);
      if (stopped) return;
      logger.warn({ err: error }, `the job queue's listening connection dropped; opening it again in ${delayMs / 1000} s (workers poll meanwhile)`);
      retryTimer = setTimeout(() => void connect(), delayMs);
      delayMs = Math.min(delayMs * 2, 30_000);
    };
    next.on('error', reconnect);
    next.on('end', () => reconnect());
    next.on('notification', (message) => {
      if (message.channel === jobsChannel && message.payload) handlers.onJob(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${jobsChannel}`);
      if (stopped || lost) {
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      if (delayMs > 1000) handlers.onReconnect();
      delayMs = 1000;
    } catch (error) {
      reconnect(error);
    }
  }

  return {
    async start() {
      if (database.pglite) {
        try {
          unlisten = await database.pglite.listen(jobsChannel, (name) => handlers.onJob(name));
        } catch (error) {
          logger.warn({ err: error }, 'could not listen for new jobs; the workers poll');
        }
      } else await connect();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await unlisten?.().catch(() => undefined);
      unlisten = undefined;
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
