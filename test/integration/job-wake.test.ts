import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { z } from 'zod';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.ts';
import { createJobQueue, defineJob, type AnyJob, type JobQueue } from '../../server/jobs/queue.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { createTestDatabase, testBackends, type Backend, type TestDatabase } from '../support/database.ts';
import { waitFor } from '../support/sync.ts';

// Job workers are woken, not only polled: a job enqueued (by this process or another, or inserted
// by pg-boss' own cron schedule) runs at once although its queue polls once a minute; one enqueued
// in a transaction runs once the transaction commits (PostgreSQL delivers a notification at commit,
// and never for a rolled-back one); a retry runs when its backoff is over; on PostgreSQL the
// listening connection comes back after it drops. The minute-long polling interval is what makes a
// late run fail these tests.

const ran: Array<{ n: number; at: number }> = [];
const attempts = new Map<number, number>();
const wakeJob = defineJob({
  name: 'test.wake',
  payload: z.object({ n: z.number().int(), failFirst: z.boolean().optional() }),
  queue: { retryLimit: 2, retryDelay: 1, expireInSeconds: 60 },
  worker: { batchSize: 2, pollingIntervalSeconds: 60 },
  async handler(_deps: unknown, payload) {
    const attempt = (attempts.get(payload.n) ?? 0) + 1;
    attempts.set(payload.n, attempt);
    if (payload.failFirst && attempt === 1) throw new Error('the first attempt fails on purpose');
    ran.push({ n: payload.n, at: Date.now() });
  },
});
const logger = createLogger({ level: 'silent' });
let counter = 0;
const runOf = (n: number) => waitFor(`job ${n} to run`, async () => ran.find((r) => r.n === n), 10_000);

/** A test database with the queues and workers of `jobs` running (`prepare` sees the queue before they start). */
async function startQueue(backend: Backend, jobs: readonly AnyJob[], prepare?: (queue: JobQueue) => void) {
  const testDb = await createTestDatabase(backend);
  const database = await openDatabase({ url: testDb.url, ...(testDb.pglite ? { pglite: testDb.pglite } : {}) });
  const queue = createJobQueue(database, logger);
  prepare?.(queue);
  await queue.start(jobs);
  await queue.startWorkers(jobs, {});
  return { testDb, database, queue };
}

/** Calls `seen` with the queue's name at every fetch of the job queue's workers. */
function onFetch(queue: JobQueue, seen: (name: string) => void) {
  const fetch = queue.boss.fetch.bind(queue.boss);
  queue.boss.fetch = ((name: string, ...rest: unknown[]) => {
    seen(name);
    return (fetch as (...args: unknown[]) => unknown)(name, ...rest);
  }) as typeof queue.boss.fetch;
}

async function stopQueue({ testDb, database, queue }: { testDb: TestDatabase; database: DatabaseHandle; queue: JobQueue }) {
  await queue.stop({ graceful: false, timeoutMs: 1000 });
  await database.close();
  await testDb.drop();
}

for (const backend of testBackends()) {
  describe(`job workers are woken (${backend})`, () => {
    let testDb: TestDatabase;
    let database: DatabaseHandle;
    let queue: JobQueue;

    before(async () => ({ testDb, database, queue } = await startQueue(backend, [wakeJob])));
    after(() => stopQueue({ testDb, database, queue }));

    it('a job enqueued runs at once, not at the next poll a minute later', async () => {
      const n = ++counter;
      const sent = Date.now();
      await queue.enqueue(wakeJob, { n });
      const run = await runOf(n);
      assert.ok(run.at - sent < 5000, `ran ${run.at - sent} ms after it was enqueued`);
    });

    it('a job pg-boss inserts itself (as its cron schedule does) runs at once too', async () => {
      const n = ++counter;
      const sent = Date.now();
      await queue.boss.insert([{ name: wakeJob.name, data: { n } }]);
      const run = await runOf(n);
      assert.ok(run.at - sent < 5000, `ran ${run.at - sent} ms after it was inserted`);
    });

    it('a job enqueued in a transaction runs once the transaction commits, and not before', async () => {
      const n = ++counter;
      let committedAt = 0;
      await database.db.transaction().execute(async (tx) => {
        await queue.enqueue(wakeJob, { n }, { tx });
        // Still uncommitted: nothing can run it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(ran.find((r) => r.n === n), undefined);
      });
      committedAt = Date.now();
      const run = await runOf(n);
      assert.ok(run.at - committedAt < 5000, `ran ${run.at - committedAt} ms after the commit`);

      // A rolled-back transaction leaves neither the job nor a run.
      const rolledBack = ++counter;
      await assert.rejects(
        database.db.transaction().execute(async (tx) => {
          await queue.enqueue(wakeJob, { n: rolledBack }, { tx });
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      const later = ++counter;
      await queue.enqueue(wakeJob, { n: later });
      await runOf(later);
      assert.equal(ran.find((r) => r.n === rolledBack), undefined);
    });

    it('a failed job is tried again when its retry delay is over', async () => {
      const n = ++counter;
      const sent = Date.now();
      await queue.enqueue(wakeJob, { n, failFirst: true });
      const run = await runOf(n);
      assert.equal(attempts.get(n), 2);
      // retryDelay is 1 s; the queue polls once a minute.
      assert.ok(run.at - sent >= 900 && run.at - sent < 8000, `retried ${run.at - sent} ms after it was enqueued`);
    });

    if (backend === 'postgres') {
      it('another process enqueues: this one runs the job at once; its listening connection comes back after it drops', async () => {
        const other = await openDatabase({ url: testDb.url });
        const otherQueue = createJobQueue(other, logger);
        try {
          await otherQueue.start([wakeJob]);
          const n = ++counter;
          const sent = Date.now();
          await otherQueue.enqueue(wakeJob, { n });
          const run = await runOf(n);
          assert.ok(run.at - sent < 5000, `ran ${run.at - sent} ms after the other process enqueued it`);

          const { rows } = await sql<{ pid: number }>`
            SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'totalone-jobs-listener'`.execute(other.db);
          assert.equal(rows.length, 1, 'one listening connection');
          await waitFor('a new listening connection', async () => {
            const { rows: back } = await sql<{ pid: number }>`
              SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'totalone-jobs-listener' AND state = 'idle'`.execute(other.db);
            return back.length === 1 && back[0]!.pid !== rows[0]!.pid;
          }, 10_000);
          const again = ++counter;
          const sentAgain = Date.now();
          await otherQueue.enqueue(wakeJob, { n: again });
          const runAgain = await runOf(again);
          assert.ok(runAgain.at - sentAgain < 5000, `ran ${runAgain.at - sentAgain} ms after the other process enqueued it`);
        } finally {
          await otherQueue.stop({ graceful: false, timeoutMs: 1000 });
          await other.close();
        }
      });
    }
  });
}

// Polling is the safety net for what announces nothing (a job maintenance makes available again
// after its expiry): a poll that finds no job ready to start only reads, it does not fetch. A job
// made ready without a notification still runs at the next poll.
const polled: number[] = [];
const pollJob = defineJob({
  name: 'test.poll',
  payload: z.object({ n: z.number().int() }),
  queue: { retryLimit: 0, expireInSeconds: 60 },
  worker: { batchSize: 1, pollingIntervalSeconds: 1 },
  async handler(_deps: unknown, payload) {
    polled.push(payload.n);
  },
});

for (const backend of testBackends()) {
  describe(`job workers poll without fetching when nothing is ready (${backend})`, () => {
    let testDb: TestDatabase;
    let database: DatabaseHandle;
    let queue: JobQueue;
    let fetches = 0;

    before(async () => {
      ({ testDb, database, queue } = await startQueue(backend, [pollJob], (queue) =>
        onFetch(queue, (name) => {
          if (name === pollJob.name) fetches++;
        }),
      ));
    });
    after(() => stopQueue({ testDb, database, queue }));

    it('polls every second for an hour-away job without fetching; made ready without a notification, it runs at the next poll', async () => {
      const n = ++counter;
      const id = await queue.enqueue(pollJob, { n }, { startAfter: new Date(Date.now() + 3600_000) });
      assert.ok(id);
      // The notification wakes the worker once (one fetch finds the job not ready yet).
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = fetches;
      await new Promise((resolve) => setTimeout(resolve, 3500));
      assert.ok(fetches - before === 0, `${fetches - before} fetches in 3.5 s of polls with no job ready`);
      assert.ok(!polled.includes(n));

      // As maintenance does for an expired job: an UPDATE, which announces nothing.
      await sql`UPDATE pgboss.job SET start_after = now() WHERE id = ${id}::uuid`.execute(database.db);
      const ready = Date.now();
      await waitFor('the job to run at the next poll', async () => polled.includes(n), 8_000);
      assert.ok(Date.now() - ready < 4_000, `ran ${Date.now() - ready} ms after it was made ready (polls every second)`);
    });
  });
}

// Eight queues whose workers look every second: on PostgreSQL their reads go over the job queue's
// own few connections (as its fetches do), not one connection each in the application's pool.
const pooledJobs = Array.from({ length: 8 }, (_, i) =>
  defineJob({
    name: `test.pooled.${i}`,
    payload: z.object({}),
    queue: { retryLimit: 0, expireInSeconds: 60 },
    worker: { batchSize: 1, pollingIntervalSeconds: 1 },
    async handler() {},
  }),
);

if (testBackends().includes('postgres')) {
  describe('job workers look for work over the job queue\u2019s connections (postgres)', () => {
    it('eight queues polling every second leave the application\u2019s pool alone', async () => {
      const started = await startQueue('postgres', pooledJobs);
      const { database } = started;
      try {
        // The first looks, then two rounds of polls.
        await new Promise((resolve) => setTimeout(resolve, 2500));
        // Start-up itself may have used one (the job table's trigger is looked up through it).
        assert.ok(database.pgPool!.totalCount <= 1, `${database.pgPool!.totalCount} connections in the application's pool after the workers' polls`);
      } finally {
        await stopQueue(started);
      }
    });
  });
}

// What a job's end wakes: a job that simply completed tells its sleeping worker nothing new, so the
// worker does not fetch again for it (one fetch per job woken by its notification). A job held back
// by its queue's policy (pg-boss' `singleton`: one active job at a time), and a job waiting for a
// slot of a full batch, start as soon as the job before them ends, not at the next poll a minute later.
const timedRuns: Array<{ n: number; started: number; ended: number }> = [];
const timedJob = (name: string, policy: 'standard' | 'singleton', batchSize: number) =>
  defineJob({
    name,
    payload: z.object({ n: z.number().int(), ms: z.number().int() }),
    queue: { policy, retryLimit: 0, expireInSeconds: 60 },
    worker: { batchSize, pollingIntervalSeconds: 60 },
    async handler(_deps: unknown, payload) {
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, payload.ms));
      timedRuns.push({ n: payload.n, started, ended: Date.now() });
    },
  });
const quickJob = timedJob('test.ends.quick', 'standard', 2);
const singletonJob = timedJob('test.ends.singleton', 'singleton', 2);
const oneSlotJob = timedJob('test.ends.one-slot', 'standard', 1);
const timedRunOf = (n: number) => waitFor(`job ${n} to end`, async () => timedRuns.find((r) => r.n === n), 10_000);

for (const backend of testBackends()) {
  describe(`what a job's end wakes (${backend})`, () => {
    let started: Awaited<ReturnType<typeof startQueue>>;
    const fetches = new Map<string, number>();

    before(async () => {
      started = await startQueue(backend, [quickJob, singletonJob, oneSlotJob], (queue) =>
        onFetch(queue, (name) => fetches.set(name, (fetches.get(name) ?? 0) + 1)),
      );
    });
    after(() => stopQueue(started));

    it('a job that completes costs its worker one fetch: the end of a job wakes no look', async () => {
      // The workers' first looks at start-up are over once a first job has run.
      const first = ++counter;
      await started.queue.enqueue(quickJob, { n: first, ms: 50 });
      await timedRunOf(first);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = fetches.get(quickJob.name) ?? 0;
      for (let i = 0; i < 3; i++) {
        const n = ++counter;
        await started.queue.enqueue(quickJob, { n, ms: 50 });
        await timedRunOf(n);
        // Time for a look the job's end would have woken.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.equal((fetches.get(quickJob.name) ?? 0) - before, 3, 'one fetch per job (its notification), none after its end');
    });

    /** A 700 ms job of `job`'s queue, then a short one: their runs, in the order they started. */
    async function twoInARow(job: typeof quickJob) {
      const [a, b] = [++counter, ++counter];
      await started.queue.enqueue(job, { n: a, ms: 700 });
      await started.queue.enqueue(job, { n: b, ms: 10 });
      const [runA, runB] = [await timedRunOf(a), await timedRunOf(b)];
      return runA.started <= runB.started ? ([runA, runB] as const) : ([runB, runA] as const);
    }

    it('a job held back by its queue\u2019s policy (one active at a time) starts as soon as the one before it ends', async () => {
      const [firstRun, secondRun] = await twoInARow(singletonJob);
      assert.ok(secondRun.started >= firstRun.ended - 5, 'never both active at once');
      assert.ok(secondRun.started - firstRun.ended < 3000, `the held-back job started ${secondRun.started - firstRun.ended} ms after the first ended (the queue polls once a minute)`);
    });

    it('a job waiting for a slot of a full batch starts as soon as a slot is free', async () => {
      const [firstRun, secondRun] = await twoInARow(oneSlotJob);
      assert.ok(secondRun.started - firstRun.ended < 3000, `the second job started ${secondRun.started - firstRun.ended} ms after the first ended (the queue polls once a minute)`);
    });
  });
}
