import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type pg from 'pg';
import { startEmulator } from '../../emulator/index.ts';
import { isConnectionError } from '../../server/db/connection-errors.ts';
import { openDatabase } from '../../server/db/database.ts';
import { startMailCatcher } from '../../server/modules/mail/mail.catcher.ts';
import { adminClient, childAppEnv, databaseName, dropAllConnections, startChildApp } from '../support/child-app.ts';
import { createTestDatabase } from '../support/database.ts';
import { signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { scratchDir } from '../support/scratch.ts';
import { connectPartner } from '../support/sync.ts';
import { startTestSystem } from '../support/system.ts';

// PostgreSQL sessions ended under a running app (pg_terminate_backend: what a failover, a
// restarted pooler or an operator does). The app runs as its real entry point in a child process:
// it must stay alive and carry on by itself, without losing anything it acknowledged.
//
// A job fetched on a connection that dropped with the answer is active, and nobody runs it, until
// it expires (a minute for mail.send); the job queue's maintenance then hands it out again. The
// apps here run that maintenance every second (JOB_MAINTENANCE_INTERVAL_SECONDS) instead of every
// 30 s, so such a job costs the test its expiry, not its expiry and up to half a minute more.

const serverUrl = process.env.TEST_POSTGRES_URL;
const postgres = serverUrl ? describe : describe.skip;

/** A probe that treats a dropped connection of the test's own pool as "not yet". */
async function eventually<T>(what: string | (() => string), probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The job queue's maintenance of the apps under test: every second. */
const maintenanceEverySecond = { JOB_MAINTENANCE_INTERVAL_SECONDS: '1' };

/** Drops every session of the database `times` times, `everyMs` apart; resolves with the sessions ended. */
async function dropRepeatedly(admin: pg.Client, database: string, times: number, everyMs: number, until?: () => boolean): Promise<number> {
  let ended = 0;
  for (let i = 0; i < times && !until?.(); i++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs * (0.5 + Math.random())));
    ended += await dropAllConnections(admin, database);
  }
  return ended;
}

postgres('dropped database connections (postgres)', () => {
  it('signups under repeated connection drops: the process lives, each acknowledged signup gets exactly one confirmation email, signups work afterwards', { timeout: 240_000 }, async () => {
    const database = await createTestDatabase('postgres');
    const catcher = await startMailCatcher({ port: 0 });
    const admin = await adminClient(serverUrl!);
    const app = await startChildApp({
      name: 'app',
      env: childAppEnv({ DATABASE_URL: database.url!, SMTP_URL: catcher.smtpUrl, TRUST_PROXY: 'loopback', VAULT_KEY_FILE: join(scratchDir('vault-'), 'keys.json'), ...maintenanceEverySecond }),
    });
    try {
      const browser = new Browser(app.url!);
      const results: Array<{ email: string; status: number }> = [];
      let next = 0;
      const total = 48;
      const lane = async () => {
        while (next < total) {
          const i = next++;
          const request = signupRequest();
          const response = await browser.request('POST', '/api/signups', { body: request, headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } });
          results.push({ email: request.primaryContact.email, status: response.status });
        }
      };
      const [ended] = await Promise.all([dropRepeatedly(admin, databaseName(database.url!), 8, 250), lane(), lane(), lane(), lane()]);

      assert.ok(ended > 0, 'sessions were dropped');
      assert.ok(app.alive(), `the process is alive:\n${app.output.slice(-30).join('\n')}`);
      const unexpected = results.filter((r) => r.status !== 202 && r.status !== 503);
      assert.deepEqual(unexpected, [], 'each signup is either accepted or answered "try again" (503), never 500');
      const accepted = results.filter((r) => r.status === 202);
      assert.ok(accepted.length >= total / 2, `most signups were accepted (${accepted.length} of ${total})`);

      // Afterwards the same process serves as before.
      const after = signupRequest();
      assert.equal((await browser.request('POST', '/api/signups', { body: after, headers: { 'x-forwarded-for': '198.51.100.250' } })).status, 202);
      accepted.push({ email: after.primaryContact.email, status: 202 });

      // Wait until the outbox is drained and no email job is left, then count: nothing can be sent later.
      const check = await openDatabase({ url: database.url! });
      try {
        let left = '';
        await eventually(() => `every email sent and no email job left; left: ${left}`, async () => {
          const pending = await check.db.selectFrom('outbox').select(['status', 'attempts', 'last_error']).where('status', '!=', 'sent').execute();
          const jobs = await sql<{ state: string; retry_count: number }>`SELECT state, retry_count FROM pgboss.job WHERE name = 'mail.send' AND state IN ('created', 'retry', 'active')`.execute(check.db);
          left = JSON.stringify({ outbox: pending, jobs: jobs.rows });
          return pending.length === 0 && jobs.rows.length === 0;
          // A job fetched on a connection that dropped: its expiry (60 s), the next maintenance
          // (a second) and its first retry's delay (5 s).
        }, 120_000);
        for (const { email } of accepted) {
          const verifications = catcher.messages().filter((m) => m.to.includes(email) && /Confirm your email/.test(m.subject));
          assert.equal(verifications.length, 1, `exactly one confirmation email for ${email}`);
        }
        const partners = await check.db.selectFrom('contacts').select('email').where('role', '=', 'primary').execute();
        for (const { email } of accepted) assert.equal(partners.filter((p) => p.email === email).length, 1, `one signup for ${email}`);
      } finally {
        await check.close();
      }
      assert.ok(!app.output.some((line) => /uncaught exception|unhandled promise rejection/.test(line)), app.output.filter((l) => /uncaught|unhandled/.test(l)).join('\n'));
      assert.ok(app.output.some((line) => line.includes('database connection lost')), 'the drops were seen and survived');
    } finally {
      await app.stop();
      await catcher.close();
      await admin.end();
      await database.drop();
    }
  });

  it('an import under repeated connection drops: the worker lives, takes its partner lock again (or runs its import job again) and completes the run; every customer once, one "ready" email, no job left behind', { timeout: 300_000 }, async () => {
    const emulator = await startEmulator({ scenario: 'ready' });
    // The web role here (to connect the partner); the import runs in the worker process.
    const system = await startTestSystem('postgres', { emulator, roles: ['web'] });
    const admin = await adminClient(serverUrl!);
    const worker = await startChildApp({
      name: 'worker',
      env: childAppEnv({
        ROLES: 'worker',
        DATABASE_URL: system.db.url!,
        SMTP_URL: system.catcher!.smtpUrl,
        VAULT_KEY_FILE: system.config.vault.provider === 'local' ? system.config.vault.keyFile : '',
        MICROSOFT_AUTHORITY_HOST: emulator.endpoints.authorityHost,
        MICROSOFT_GRAPH_URL: emulator.endpoints.graph,
        PARTNER_CENTER_URL: emulator.endpoints.partnerCenter,
        SYNC_REQUESTS_PER_MINUTE: '480',
        ...maintenanceEverySecond,
      }),
    });
    try {
      const { partner, email } = await connectPartner(system, emulator, {
        // 60 small pages of at least 60 ms each: the import lasts over 3.5 s however fast the
        // machine, so the first drop (within about a second of the third page) lands mid-run.
        prepare: (tenant) => {
          tenant.partnerCenter.maxPageSize = 20;
        },
        patches: [{ op: 'setCustomers', count: 1200 }, { op: 'setFaults', faults: { latencyMs: 60 } }],
      });
      const db = system.database.db;
      await eventually('the import under way', async () => {
        const run = await db.selectFrom('sync_runs').select('pages').where('partner_id', '=', partner.id).executeTakeFirst();
        return run && run.pages >= 3;
      }, 60_000);
      const done = () => worker.output.some((line) => line.includes('customer import completed'));
      const ended = await dropRepeatedly(admin, databaseName(system.db.url!), 5, 700, done);
      assert.ok(ended > 0, 'sessions were dropped');

      await eventually('partner active', async () => (await db.selectFrom('partners').select('state').where('id', '=', partner.id).executeTakeFirstOrThrow()).state === 'active', 90_000);
      assert.ok(worker.alive(), `the worker is alive:\n${worker.output.slice(-30).join('\n')}`);
      const runs = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).execute();
      assert.equal(runs.length, 1, 'the same run went on');
      assert.equal(runs[0]!.status, 'completed');
      assert.equal(runs[0]!.total_count, 1200);
      const count = await db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).where('partner_id', '=', partner.id).where('removed_at', 'is', null).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1200);
      // Two recoveries, depending on what the drops hit and when: the holder takes its lock again and
      // the run goes on (server/modules/sync/sync.lock.int.test.ts pins that), or the import's job
      // fails on a connection that stays away and runs again, resuming the same run.
      const retook = worker.output.some((line) => line.includes('sync lock taken again'));
      const jobRanAgain = worker.output.some((line) => line.includes('"job":"sync.customers"') && /not queryable|terminat/.test(line));
      assert.ok(retook || jobRanAgain, `the lock taken again, or the import's job run again; the worker said:\n${worker.output.filter((line) => /lock|import|sync\.customers/i.test(line)).slice(-20).join('\n')}`);
      await system.catcher!.waitFor((m) => m.to.includes(email) && /tenant is ready/.test(m.subject), 30_000);
      const outbox = await db.selectFrom('outbox').select('id').where('partner_id', '=', partner.id).where('template', '=', 'sync_completed').execute();
      assert.equal(outbox.length, 1);

      // Nothing of this partner's import or emails is stuck: every job of it ends. The import's job
      // still reads the GDAP relationships after the run (a few seconds for 1,200 customers); a job
      // fetched on a dropped connection ends once its expiry has been handed out again (a minute for
      // an email). A completion lost with its connection would leave the import's job active for its
      // expiry, an hour. The queues' scheduled jobs (sync.daily, sync.recover, mail.sweep) belong to
      // no partner and are not counted.
      let left = '';
      await eventually(() => `no job of the partner left; left: ${left}`, async () => {
        const { rows } = await sql<{ name: string; state: string; data: unknown; started_on: Date | null }>`
          SELECT name, state, data, started_on FROM pgboss.job
          WHERE state IN ('created', 'retry', 'active')
            AND ((name = 'sync.customers' AND data->>'partnerId' = ${partner.id})
              OR (name = 'mail.send' AND data->>'outboxId' IN (SELECT id::text FROM outbox WHERE partner_id = ${partner.id})))`.execute(db);
        left = JSON.stringify(rows);
        return rows.length === 0;
      }, 120_000);
      assert.ok(!worker.output.some((line) => /uncaught exception|unhandled promise rejection/.test(line)));
    } finally {
      await worker.stop();
      await admin.end();
      await system.dispose();
      await emulator.close();
    }
  });
});
