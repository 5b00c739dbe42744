import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator, type ScenarioTenant } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { given } from '../support/given.ts';
import { partnerState, waitFor } from '../support/sync.ts';

// The customer import: a connected partner (given through the services, as connect.test.ts leaves
// one over HTTP), the worker imports its customers from the emulator's Partner Center, the status
// API and tenant view show them over HTTP.

async function outbox(system: TestSystem, partnerId: string, template: string) {
  return system.database.db.selectFrom('outbox').selectAll().where('partner_id', '=', partnerId).where('template', '=', template).execute();
}

/** Reads the SSE stream until it ends; returns every status event. */
async function readEvents(browser: Browser, timeoutMs = 60_000) {
  const cookie = ['signup_session', 'status_key'].map((name) => (browser.cookie(name) ? `${name}=${browser.cookie(name)}` : '')).filter(Boolean).join('; ');
  const response = await fetch(`${browser.baseUrl}/api/status/events`, { headers: { cookie }, signal: AbortSignal.timeout(timeoutMs) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: status'))
    .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
}

/** Customers of the tenants whose import is the subject, in pages of PAGE_SIZE: 7 pages, the last one part full. */
const CUSTOMERS = 66;
const PAGE_SIZE = 10;

for (const backend of testBackends()) {
  describe(`customer sync, scenario ready (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator });
    });
    // Small pages, so a few customers take as many pages as a large partner's first import.
    const prepare = (tenant: ScenarioTenant) => {
      tenant.partnerCenter.maxPageSize = PAGE_SIZE;
    };
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('imports every customer after connect (7 pages), activates the partner, confirms exactly once; status, events and tenant view', async () => {
      const { browser, partner, email } = await given.connectedPartner(system, emulator, { secondary: true, customers: CUSTOMERS, prepare });
      const events = readEvents(browser);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const runs = await system.database.db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).execute();
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'completed');
      assert.equal(runs[0]!.total_count, CUSTOMERS);
      assert.equal(runs[0]!.pages, 7);
      const count = await system.database.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), CUSTOMERS);

      // Renewing the Partner Center token hands back a new refresh token (Microsoft rotates it:
      // https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens); the import
      // stored it as a new vault version of the same field, in place of the one the sign-in stored.
      const refreshTokens = await system.database.db.selectFrom('credentials').select('version').where('partner_id', '=', partner.id).where('field', '=', 'partner_center_refresh_token').execute();
      assert.equal(refreshTokens.length, 1, 'one live version');
      assert.ok(refreshTokens[0]!.version >= 2, `the rotated refresh token was stored back (version ${refreshTokens[0]!.version})`);

      const mail = await system.catcher!.waitFor((m) => m.to.includes(email) && /tenant is ready/.test(m.subject), 15_000);
      assert.match(mail.text, new RegExp(`${CUSTOMERS} customers`));
      assert.match(mail.text, /\/status#key=[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{43}/);
      assert.equal(mail.cc.length, 1, 'the secondary contact in copy');
      // Once the queues are quiet, no second confirmation may have followed.
      await settled(system);
      assert.equal((await outbox(system, partner.id, 'sync_completed')).length, 1);
      assert.equal(system.catcher!.messages().filter((m) => m.to.includes(email) && /tenant is ready/.test(m.subject)).length, 1);

      // Status over HTTP (the browser that connected) and the stream it watched.
      const status = await browser.get('/api/status');
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.equal(status.body.state, 'active');
      assert.equal(status.body.customerCount, CUSTOMERS);
      assert.equal(status.body.sync.status, 'completed');
      assert.deepEqual(status.body.steps.map((s: { status: string }) => s.status), ['done', 'done', 'done', 'done']);
      const seen = await events;
      assert.ok(seen.length >= 1);
      assert.equal(seen.at(-1).state, 'active');

      // The link from the email opens the status in another browser (no signup session there).
      const key = /\/status#key=([^\s]+)/.exec(mail.text)![1]!;
      const other = new Browser(system.url!);
      assert.equal((await other.get('/api/status')).status, 404);
      const opened = await other.post('/api/status/access', { key });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      assert.equal(opened.body.customerCount, CUSTOMERS);
      assert.equal((await other.get('/api/tenant/summary')).body.customerCount, CUSTOMERS);
      const forged = await new Browser(system.url!).post('/api/status/access', { key: `${key.slice(0, -3)}AAA` });
      assert.equal(forged.status, 404);

      // No token or secret in the logs; the correlation id is there.
      const logs = system.logLines.join('\n');
      assert.ok(logs.includes(runs[0]!.correlation_id));
      assert.ok(!/eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/.test(logs), 'no JWT in the logs');
    });

    it('Partner Center calls carry the documented headers: one MS-CorrelationId per run and per preflight, one MS-RequestId per page', async () => {
      // https://learn.microsoft.com/en-us/partner-center/developer/headers
      const { partner } = await given.connectedPartner(system, emulator, { customers: CUSTOMERS, prepare });
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const run = await system.database.db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      const ofRun = emulator.requests.filter((r) => r.service === 'partner-center' && r.headers?.['ms-correlationid'] === run.correlation_id);
      assert.equal(ofRun.length, run.pages, 'every page of the run, and nothing else, under the run\u2019s correlation id');
      assert.equal(new Set(ofRun.map((r) => r.headers!['ms-requestid'])).size, run.pages, 'a request id per page');
      for (const r of ofRun) {
        assert.equal(r.headers!['ms-contract-version'], 'v1');
        assert.equal(r.headers!['ms-partnercenter-application'], 'TotalOne Signup');
        assert.equal(r.headers!.accept, 'application/json');
      }
      // The preflight's call has its own correlation id, recorded with the run of checks.
      const ran = await system.database.db.selectFrom('audit_events').select('details').where('partner_id', '=', partner.id).where('action', '=', 'preflight.ran').executeTakeFirstOrThrow();
      const preflightId = (typeof ran.details === 'string' ? JSON.parse(ran.details) : ran.details).correlationId;
      assert.match(preflightId, /^[0-9a-f-]{36}$/);
      assert.notEqual(preflightId, run.correlation_id);
      assert.equal(emulator.requests.filter((r) => r.service === 'partner-center' && r.headers?.['ms-correlationid'] === preflightId).length, 1);
    });

    it('tenant view: prefix search on name and domain, sort both ways, keyset paging without gaps or repeats', async () => {
      const { browser, partner } = await given.connectedPartner(system, emulator, { customers: CUSTOMERS, prepare });
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const all = await system.database.db.selectFrom('customers').select(['customer_id', 'company_name', 'domain']).where('partner_id', '=', partner.id).execute();

      const collected: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await browser.get(`/api/tenant/customers?sort=name&order=asc&limit=9${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        collected.push(...page.body.items.map((c: { companyName: string }) => c.companyName));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.equal(collected.length, CUSTOMERS);
      assert.equal(new Set(collected).size, CUSTOMERS);
      const sortedC = [...collected].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
      assert.deepEqual(collected, sortedC);

      const desc = await browser.get('/api/tenant/customers?sort=domain&order=desc&limit=5');
      const domains = [...all.map((c) => c.domain.toLowerCase())].sort().reverse().slice(0, 5);
      assert.deepEqual(desc.body.items.map((c: { domain: string }) => c.domain), domains);

      const name = all[17]!.company_name;
      const byName = await browser.get(`/api/tenant/customers?search=${encodeURIComponent(name.slice(0, 12))}&limit=200`);
      const expected = all.filter((c) => c.company_name.toLowerCase().startsWith(name.slice(0, 12).toLowerCase()) || c.domain.toLowerCase().startsWith(name.slice(0, 12).toLowerCase()));
      assert.equal(byName.body.items.length, expected.length);
      assert.ok(byName.body.items.some((c: { companyName: string }) => c.companyName === name));

      const domain = all[42]!.domain;
      const byDomain = await browser.get(`/api/tenant/customers?search=${encodeURIComponent(domain)}`);
      assert.deepEqual(byDomain.body.items.map((c: { domain: string }) => c.domain), [domain]);
      assert.equal((await browser.get('/api/tenant/customers?search=%25')).body.items.length, 0, '% is literal');
      assert.equal((await browser.get('/api/tenant/customers?limit=500')).status, 400);
      assert.equal((await browser.get('/api/tenant/customers?cursor=garbage')).status, 400);

      const summary = await browser.get('/api/tenant/summary');
      assert.equal(summary.body.customerCount, CUSTOMERS);
      assert.equal(summary.body.lastSyncStatus, 'completed');
      assert.ok(summary.body.lastSyncAt);
    });

    it('a later run re-reads everything, marks customers that left and restores those that return', async () => {
      const { partner, tenant } = await given.connectedPartner(system, emulator, { customers: CUSTOMERS, prepare });
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      // The first import's job ends after the partner is active (it still holds the partner's lock).
      await settled(system);
      tenant.patch({ op: 'setCustomers', count: CUSTOMERS - 14 });
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'operator' });
      const counts = await system.services.syncStatus.summary(partner.id);
      assert.equal(counts.customerCount, CUSTOMERS - 14);
      assert.equal(counts.removedCount, 14);
      tenant.patch({ op: 'setCustomers', count: CUSTOMERS });
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'operator' });
      const back = await system.services.syncStatus.summary(partner.id);
      assert.equal(back.customerCount, CUSTOMERS);
      assert.equal(back.removedCount, 0);
      assert.equal(await partnerState(system, partner.id), 'active');
      assert.equal((await outbox(system, partner.id, 'sync_completed')).length, 1, 'later runs send no confirmation');
      // The daily schedule queues a re-sync of active partners only, never of one that is running.
      assert.ok((await system.services.sync.enqueueDaily()) >= 1);
      await waitFor('the scheduled run', async () => (await system.database.db.selectFrom('sync_runs').select('id').where('partner_id', '=', partner.id).where('reason', '=', 'scheduled').where('status', '=', 'completed').executeTakeFirst()) ?? false);
    });

    it('the status stream shows the import moving, then the ready state, and ends', async () => {
      // 13 slow pages: the import takes about 4 s, so the stream (read every second) sees it move.
      const { browser, partner } = await given.connectedPartner(system, emulator, { prepare, customers: 13 * PAGE_SIZE - 4, patches: [{ op: 'setFaults', faults: { latencyMs: 300 } }] });
      const events = await readEvents(browser);
      const counts = events.map((e) => e.sync?.customersImported ?? 0);
      assert.ok(new Set(counts.filter((n) => n > 0 && n < 13 * PAGE_SIZE - 4)).size >= 2, `progress moved: ${counts.join(', ')}`);
      assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'never backwards');
      const running = events.find((e) => e.sync?.status === 'running' && e.sync.customersImported > 0);
      assert.match(running.headline, /Importing your customers from Partner Center: [\d,]+ so far/);
      const last = events.at(-1);
      assert.equal(last.state, 'active');
      assert.equal(last.sync.customersImported, 13 * PAGE_SIZE - 4);
      assert.equal(await partnerState(system, partner.id), 'active');
    });

    it('a revoked grant (password changed) stops the sync: sync_failed, one reconnect email, no retry', async () => {
      const { partner, email, tenant } = await given.connectedPartner(system, emulator, { prepare });
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      // The first import's job ends after the partner is active (it still holds the partner's lock).
      await settled(system);
      tenant.patch({ op: 'changePassword', password: `New-${Date.now()}-Passw0rd!` });
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'scheduled' });
      assert.equal(await partnerState(system, partner.id), 'sync_failed');
      const run = await system.database.db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).orderBy('seq', 'desc').executeTakeFirstOrThrow();
      assert.equal(run.status, 'failed');
      assert.equal((run.error as { code: string }).code, 'RECONNECT_REQUIRED');
      const mail = await system.catcher!.waitFor((m) => m.to.includes(email) && /reconnect/i.test(m.subject), 15_000);
      assert.match(mail.text, /password/);
      assert.match(mail.text, /How to reconnect/);
      const status = await system.services.syncStatus.status(partner.id);
      assert.equal(status.steps.find((s) => s.id === 'import')!.status, 'failed');
      assert.match(status.headline, /Reconnect/);
      // Further jobs do nothing for a partner that must reconnect.
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'scheduled' });
      assert.equal((await outbox(system, partner.id, 'sync_failed_reconnect')).length, 1);
    });
  });
}
