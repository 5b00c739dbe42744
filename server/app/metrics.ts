import client from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';

// Prometheus metrics of one running system, in its own registry (tests start several systems in
// one process). Two kinds: what this process observes as it happens (HTTP latency, vault key
// operations), and what the database says at scrape time (signups, the outbox, the job queues,
// customer imports, Partner Center requests): the latter are the same on every instance, so a
// dashboard reads them from any one of them.

export interface Metrics {
  registry: client.Registry;
  /** One answered HTTP request: `route` is the route pattern, never the raw path (no ids, no tokens). */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** One operation of the vault's key provider (wrap, unwrap, rotate, ...), and whether it worked. */
  observeVault(operation: string, outcome: 'ok' | 'failed'): void;
}

// The process's own metrics (CPU, memory, event loop, garbage collection) describe the process, not
// one system in it: they are collected once per process, in a registry every system's /metrics
// includes. Collecting them per system would leave, for each system ever started, an event loop
// delay monitor running until the process ends (prom-client has no way to stop one).
let processMetrics: client.Registry | undefined;
function processRegistry(): client.Registry {
  if (!processMetrics) {
    processMetrics = new client.Registry();
    // The event loop delay is sampled every 100 ms (prom-client's default is every 10 ms, a hundred
    // wake-ups a second of an idle process): a stall of the loop still shows in full.
    client.collectDefaultMetrics({ register: processMetrics, prefix: 'totalone_', eventLoopMonitoringPrecision: 100 });
  }
  return processMetrics;
}

export function createMetrics(deps: { db: Db; logger: Logger }): Metrics {
  const registry = new client.Registry();
  const { db } = deps;

  /** A gauge filled from the database at scrape time; a failed query leaves it empty and is logged. */
  const fromDatabase = (name: string, help: string, labelNames: string[], read: () => Promise<Array<{ labels: Record<string, string>; value: number }>>) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const { labels, value } of await read()) this.set(labels, value);
        } catch (error) {
          deps.logger.warn({ err: error, metric: name }, 'a metric could not be read from the database');
        }
      },
    });

  const httpSeconds = new client.Histogram({
    name: 'totalone_http_request_duration_seconds',
    help: 'HTTP answers by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const vaultOperations = new client.Counter({
    name: 'totalone_vault_key_operations_total',
    help: 'Operations of the vault key provider (wrap, unwrap, rotate, ...) by outcome',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  });

  fromDatabase('totalone_partners', 'Signups by partner state', ['state'], async () =>
    (await db.selectFrom('partners').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute()).map((r) => ({ labels: { state: r.state }, value: Number(r.n) })),
  );
  fromDatabase('totalone_signups', 'Signups received, and those whose email was confirmed', ['stage'], async () => {
    const row = await db
      .selectFrom('partners')
      .select((eb) => [eb.fn.countAll<number>().as('received'), eb.fn.count<number>('email_verified_at').as('verified')])
      .executeTakeFirstOrThrow();
    return [
      { labels: { stage: 'received' }, value: Number(row.received) },
      { labels: { stage: 'email_verified' }, value: Number(row.verified) },
    ];
  });
  fromDatabase('totalone_outbox_messages', 'Emails in the outbox by status (pending and sending are the backlog; failed were refused for good)', ['status'], async () =>
    (await db.selectFrom('outbox').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).groupBy('status').execute()).map((r) => ({ labels: { status: r.status }, value: Number(r.n) })),
  );
  fromDatabase('totalone_outbox_oldest_waiting_seconds', 'Age of the oldest email not sent yet (0 when none waits)', [], async () => {
    const row = await sql<{ age: number | null }>`SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox WHERE status IN ('pending', 'sending')`.execute(db);
    return [{ labels: {}, value: Math.max(0, Number(row.rows[0]?.age ?? 0)) }];
  });
  fromDatabase('totalone_jobs', 'Jobs by queue and state (created and retry are the queue depth; failed gave up)', ['queue', 'state'], async () => {
    const rows = await sql<{ name: string; state: string; n: number }>`SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job GROUP BY name, state`.execute(db);
    return rows.rows.map((r) => ({ labels: { queue: r.name, state: r.state }, value: Number(r.n) }));
  });
  fromDatabase('totalone_sync_runs', 'Customer import runs by status', ['status'], async () =>
    (await db.selectFrom('sync_runs').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).groupBy('status').execute()).map((r) => ({ labels: { status: r.status }, value: Number(r.n) })),
  );
  fromDatabase('totalone_sync_running_customers', 'Customers read so far by the import runs in progress, and what they expect', ['what'], async () => {
    const row = await db
      .selectFrom('sync_runs')
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('customers_seen'), eb.val(0)).as('seen'), eb.fn.coalesce(eb.fn.sum<number>('estimated_total'), eb.val(0)).as('expected')])
      .where('status', '=', 'running')
      .executeTakeFirstOrThrow();
    return [
      { labels: { what: 'read' }, value: Number(row.seen) },
      { labels: { what: 'expected' }, value: Number(row.expected) },
    ];
  });
  fromDatabase('totalone_partner_center_requests', 'Partner Center requests made by customer imports, and how many were throttled (429) and waited out', ['outcome'], async () => {
    const row = await db
      .selectFrom('sync_runs')
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('requests'), eb.val(0)).as('requests'), eb.fn.coalesce(eb.fn.sum<number>('throttled_count'), eb.val(0)).as('throttled')])
      .executeTakeFirstOrThrow();
    return [
      { labels: { outcome: 'sent' }, value: Number(row.requests) },
      { labels: { outcome: 'throttled' }, value: Number(row.throttled) },
    ];
  });

  return {
    registry: client.Registry.merge([processRegistry(), registry]),
    observeHttp: (method, route, status, seconds) => httpSeconds.observe({ method, route, status: String(status) }, seconds),
    observeVault: (operation, outcome) => vaultOperations.inc({ operation, outcome }),
  };
}
