import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type ScenarioTenant } from '../emulator/index.ts';
import { startSystem } from '../server/app/system.ts';
import { loadConfig } from '../server/config/config.ts';
import { createTestDatabase, type Backend } from '../test/support/database.ts';
import { generousLimits, type TestSystem } from '../test/support/system.ts';
import { connectPartner, waitFor } from '../test/support/sync.ts';

// npm run bench:sync: the customer import of the `large-partner` scenario (100,000 customers)
// against the emulator, its Partner Center limit raised above ours so that our own token bucket is
// what paces the run (about a minute at the defaults). Prints achieved requests per minute as a
// ratio to the configured limit (target >= 0.95), customers per second, peak RSS, and the time of
// tenant-view searches at 100,000 customers.

const backend = (process.env.BENCH_BACKEND ?? 'pglite') as Backend;
const perMinute = Number(process.env.BENCH_SYNC_RPM ?? 1000);
const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 100);
if (backend === 'postgres') process.env.TEST_POSTGRES_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const emulator = await startEmulator({ scenario: 'large-partner' });
  // PGlite as the demo runs it: a data folder on disk opened by the app itself (its memory
  // settings, initdb in a child process), not the in-memory copy tests use.
  const dataDir = mkdtempSync(join(tmpdir(), 'totalone-bench-sync-'));
  const database = backend === 'postgres' ? await createTestDatabase(backend) : { url: undefined, pglite: undefined, drop: async () => {} };
  const config = loadConfig({
    APP_MODE: 'demo',
    ROLES: 'web,worker',
    HOST: '127.0.0.1',
    PORT: '0',
    MAIL_CATCHER_SMTP_PORT: '0',
    START_EMULATOR: 'false',
    LOG_LEVEL: 'warn',
    APP_SECRET: Buffer.alloc(32, 9).toString('base64'),
    DATABASE_URL: database.url ?? '',
    DATA_DIR: dataDir,
    VAULT_KEY_FILE: join(tmpdir(), `totalone-bench-vault-${process.pid}.json`),
    MICROSOFT_AUTHORITY_HOST: emulator.endpoints.authorityHost,
    MICROSOFT_GRAPH_URL: emulator.endpoints.graph,
    PARTNER_CENTER_URL: emulator.endpoints.partnerCenter,
    SYNC_REQUESTS_PER_MINUTE: String(perMinute),
    SYNC_PAGE_SIZE: String(pageSize),
  });
  const system = await startSystem(config, {
    limits: generousLimits,
    webDist: '/nonexistent-web-dist',
  });
  // The partner's own tenant: 100,000 customers, Partner Center's page size and a throttle above our limit.
  const tenantSetup = {
    scenario: 'large-partner',
    prepare: (tenant: ScenarioTenant) => {
      tenant.partnerCenter.maxPageSize = pageSize;
    },
    patches: [{ op: 'setThrottle', budget: perMinute * 3, windowSeconds: 60 } as const],
  };
  try {
    console.log(`Customer sync benchmark: ${backend}, ${emulator.facts.partnerCenter.customerCount.toLocaleString('en-US')} customers, pages of ${pageSize}, limit ${perMinute} requests/min, Node ${process.version}`);
    const { partner, browser } = await connectPartner(system as unknown as TestSystem, emulator, tenantSetup);
    const db = system.database.db;
    const run = await waitFor(
      'the import to finish',
      async () => {
        const row = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).executeTakeFirst();
        return row && row.status !== 'running' ? row : undefined;
      },
      15 * 60_000,
    );
    if (run.status !== 'completed') throw new Error(`the import failed: ${JSON.stringify(run.error)}`);
    const seconds = (new Date(run.finished_at!).getTime() - new Date(run.started_at).getTime()) / 1000;
    const achieved = run.requests / (seconds / 60);
    // The bucket starts full (two seconds of budget): without that burst, the steady rate.
    const burst = Math.ceil(perMinute / 30);
    const steady = (run.requests - burst) / (seconds / 60);
    console.log(`\nimport: ${run.total_count!.toLocaleString('en-US')} customers, ${run.pages} pages, ${run.requests} requests (${run.throttled_count} answered 429) in ${seconds.toFixed(1)} s`);
    console.log(`  achieved ${achieved.toFixed(0)} requests/min = ${(achieved / perMinute).toFixed(3)} x the limit (without the initial burst of ${burst}: ${(steady / perMinute).toFixed(3)})`);
    console.log(`  ${(run.total_count! / seconds).toFixed(0)} customers/s`);

    // GDAP is read after the import (outside the partner lock): every relationship page and one
    // access-assignment request per active relationship. Waited for, so it does not disturb the
    // tenant view timings below.
    const gdap = await waitFor(
      'the GDAP read',
      async () => (await db.selectFrom('gdap_reads').selectAll().where('partner_id', '=', partner.id).executeTakeFirst()) ?? undefined,
      15 * 60_000,
    );
    const gdapSeconds = (new Date(gdap.read_at).getTime() - new Date(run.finished_at!).getTime()) / 1000;
    console.log(`GDAP read: ${gdap.outcome}, ${gdap.relationships.toLocaleString('en-US')} relationships (and as many access assignment requests) in ${gdapSeconds.toFixed(1)} s after the import`);

    const queries: Array<[string, string]> = [
      ['first page by name', '/api/tenant/customers?sort=name&limit=50'],
      ['name prefix "north"', '/api/tenant/customers?search=north&sort=name&limit=50'],
      ['domain prefix "wingtiplegal"', '/api/tenant/customers?search=wingtiplegal&sort=domain&limit=50'],
      ['name prefix "a", descending', '/api/tenant/customers?search=a&sort=name&order=desc&limit=50'],
      ['exact domain', `/api/tenant/customers?search=${encodeURIComponent((await db.selectFrom('customers').select('domain').where('partner_id', '=', partner.id).offset(77_777).limit(1).executeTakeFirstOrThrow()).domain)}`],
      ['no admin access (GDAP filter)', '/api/tenant/customers?access=no_admin_access&sort=name&limit=50'],
      ['summary (count)', '/api/tenant/summary'],
    ];
    console.log('\ntenant view at 100,000 customers (HTTP, 30 requests each)');
    for (const [label, path] of queries) {
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < 30; i++) {
        const started = performance.now();
        const response = await browser.get(path);
        times.push(performance.now() - started);
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
        items = response.body.items?.length ?? response.body.customerCount;
      }
      console.log(`  ${label.padEnd(30)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(times, 95).toFixed(1).padStart(6)} ms   (${items} ${label.startsWith('summary') ? 'customers' : 'rows'})`);
    }
    // Deep keyset paging: page 1,000 costs what page 1 costs.
    let cursor: string | null = null;
    const deep: number[] = [];
    for (let page = 0; page < 200; page++) {
      const started = performance.now();
      const response: { body: { nextCursor: string | null } } = await browser.get(`/api/tenant/customers?sort=domain&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      deep.push(performance.now() - started);
      cursor = response.body.nextCursor;
    }
    console.log(`  keyset paging, 200 pages of 200  p50 ${percentile(deep, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(deep, 95).toFixed(1).padStart(6)} ms   (last page ${percentile(deep.slice(-10), 50).toFixed(1)} ms)`);
    const peakMb = peakRss / 1024 / 1024;
    const budget = backend === 'pglite' ? `   budget 500 MB: ${peakMb <= 500 ? 'within budget' : 'OVER BUDGET'}` : '';
    console.log(`\npeak RSS ${peakMb.toFixed(0)} MB (this process: app, database${backend === 'pglite' ? ' (PGlite, data folder on disk)' : ' client'}, emulator)${budget}`);
  } finally {
    clearInterval(rssTimer);
    await system.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
    await emulator.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
