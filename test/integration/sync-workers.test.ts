import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator, type ScenarioTenant } from '../../emulator/index.ts';
import { compiledCommand } from '../support/compiled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';

// Several worker processes on one PostgreSQL database: a worker killed mid-sync (SIGKILL) and
// started again finishes the import without losing or doubling a customer; two live workers never
// run one partner's sync twice. PostgreSQL only: PGlite is one process by design.

interface Worker {
  child: ChildProcess;
  output: string[];
}

async function startWorker(system: TestSystem, emulator: Emulator, name: string, env: Record<string, string> = {}): Promise<Worker> {
  const child = spawn(process.execPath, await compiledCommand('sync-worker'), {
    env: {
      PATH: process.env.PATH ?? '',
      APP_MODE: 'demo',
      ROLES: 'worker',
      LOG_LEVEL: 'info',
      DATABASE_URL: system.db.url!,
      DATA_DIR: '/nonexistent-test-data-dir',
      APP_SECRET: Buffer.alloc(32, 7).toString('base64'),
      VAULT_KEY_FILE: system.config.vault.provider === 'local' ? system.config.vault.keyFile : '',
      START_EMULATOR: 'false',
      SMTP_URL: system.catcher!.smtpUrl,
      MICROSOFT_AUTHORITY_HOST: emulator.endpoints.authorityHost,
      MICROSOFT_GRAPH_URL: emulator.endpoints.graph,
      PARTNER_CENTER_URL: emulator.endpoints.partnerCenter,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...String(chunk).split('\n').filter(Boolean).map((line) => `[${name}] ${line}`));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return new Promise((resolve, reject) => {
    // A worker that does not start is stopped, so it cannot keep the test process alive.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 60 s:\n${output.join('\n')}`));
    }, 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('SYNC_WORKER_READY')) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output.join('\n')}`));
    });
  });
}

async function stopWorker(worker: Worker | undefined) {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
}

const logCount = (workers: Worker[], message: string, partnerId: string) =>
  workers.flatMap((w) => w.output).filter((line) => line.includes(message) && line.includes(partnerId)).length;

const postgres = process.env.TEST_POSTGRES_URL ? describe : describe.skip;

postgres('customer sync across worker processes (postgres)', () => {
  let system: TestSystem;
  let emulator: Emulator;
  const workers: Worker[] = [];

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    // The web role only: every job (emails, syncs) runs in the worker processes.
    system = await startTestSystem('postgres', { emulator, roles: ['web'] });
  });
  // Small pages: the imports take as many pages as a large partner's (60 and 30) with few customers each.
  const prepare = (tenant: ScenarioTenant) => {
    tenant.partnerCenter.maxPageSize = 20;
  };
  after(async () => {
    for (const worker of workers) await stopWorker(worker);
    await system.dispose();
    await emulator.close();
  });

  it('SIGKILL mid-sync, start again: the import resumes and completes; every customer once, one confirmation', async () => {
    const first = await startWorker(system, emulator, 'worker-1', { SYNC_REQUESTS_PER_MINUTE: '900' });
    workers.push(first);
    const { partner, email } = await connectPartner(system, emulator, { prepare, patches: [{ op: 'setCustomers', count: 1_200 }, { op: 'setFaults', faults: { latencyMs: 30 } }] });
    const db = system.database.db;
    const midway = await waitFor('the import half-way', async () => {
      const run = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).executeTakeFirst();
      return run && run.pages >= 20 ? run : undefined;
    }, 60_000);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const atKill = await db.selectFrom('sync_runs').selectAll().where('id', '=', midway.id).executeTakeFirstOrThrow();
    assert.equal(atKill.status, 'running', 'killed before the end');
    assert.ok(atKill.pages < 60, `killed mid-way (page ${atKill.pages} of 60)`);
    assert.equal(await partnerState(system, partner.id), 'syncing');

    const second = await startWorker(system, emulator, 'worker-2', { SYNC_REQUESTS_PER_MINUTE: '900' });
    workers.push(second);
    await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active', 90_000);

    const runs = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).execute();
    assert.equal(runs.length, 1, 'the same run continued');
    assert.equal(runs[0]!.status, 'completed');
    assert.equal(runs[0]!.total_count, 1_200);
    // At most the page in flight at the kill is read again.
    assert.ok(runs[0]!.pages >= 60 && runs[0]!.pages <= 61, `pages ${runs[0]!.pages}`);
    const count = await db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).where('partner_id', '=', partner.id).where('removed_at', 'is', null).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1_200);
    assert.ok(second.output.some((line) => line.includes('customer import resumed')), 'the second worker resumed the run');

    await system.catcher!.waitFor((m) => m.to.includes(email) && /tenant is ready/.test(m.subject), 20_000);
    // Once none of the partner's emails waits or is being sent, nothing can send the confirmation
    // again (a row is sent once; the killed worker's job may stay active until it expires).
    await waitFor('the partner\u2019s emails all sent', async () => {
      const unsent = await db.selectFrom('outbox').select('id').where('partner_id', '=', partner.id).where('status', 'in', ['pending', 'sending']).execute();
      return unsent.length === 0;
    }, 20_000);
    assert.equal(system.catcher!.messages().filter((m) => m.to.includes(email) && /tenant is ready/.test(m.subject)).length, 1);
    const outbox = await db.selectFrom('outbox').select('id').where('partner_id', '=', partner.id).where('template', '=', 'sync_completed').execute();
    assert.equal(outbox.length, 1);
  });

  it('two live workers: each partner is imported by one run, every page once; a concurrent job for a running partner does nothing', async () => {
    while (workers.length < 2 || workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length < 2) {
      workers.push(await startWorker(system, emulator, `worker-${workers.length + 1}`, { SYNC_REQUESTS_PER_MINUTE: '600' }));
    }
    const partners = [];
    for (let i = 0; i < 3; i++) partners.push(await connectPartner(system, emulator, { prepare, patches: [{ op: 'setCustomers', count: 600 }, { op: 'setFaults', faults: { latencyMs: 100 } }] }));
    const db = system.database.db;
    // While an import runs in a worker, this process's own attempt must find the lock taken. The run
    // is caught early (at most 5 of its 30 pages, each answered after 100 ms, so seconds before its
    // end): one caught near its end could finish before the attempt, which would then find the
    // previous import still ending, or none and start another.
    const running = await waitFor('an import running, early', async () => db.selectFrom('sync_runs').selectAll().where('status', '=', 'running').where('pages', '<=', 5).executeTakeFirst(), 30_000);
    await system.services.sync.runJob({ partnerId: running.partner_id, reason: 'operator' });
    for (const { partner } of partners) await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active', 90_000);

    const live = workers.filter((w) => w.child.signalCode === null);
    for (const { partner } of partners) {
      const runs = await db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).execute();
      assert.equal(runs.length, 1, 'one run per partner');
      assert.equal(runs[0]!.pages, 30, 'every page stored exactly once');
      assert.equal(runs[0]!.customers_seen, 600);
      assert.equal(logCount(live, 'customer import started', partner.id), 1, 'started by one worker only');
      const count = await db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 600);
      const mails = await db.selectFrom('outbox').select('id').where('partner_id', '=', partner.id).where('template', '=', 'sync_completed').execute();
      assert.equal(mails.length, 1);
    }
  });
});
