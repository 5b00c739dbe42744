import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator, type ScenarioTenant } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { given } from '../support/given.ts';
import { partnerState, waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The customer import when Partner Center pushes back: a throttled tenant (429 with Retry-After)
// and one whose Partner Center fails now and then (503s, a page that fails once). The import waits
// as asked, retries with backoff, and stores every page once. The happy path is in sync.test.ts.

for (const backend of testBackends()) {
  describe(`customer sync, scenario throttled (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'throttled' });
      system = await startTestSystem(backend, { emulator });
    });
    const setup = { scenario: 'throttled', customers: 250, prepare: (tenant: ScenarioTenant) => { tenant.partnerCenter.maxPageSize = 25; } };
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('imports every customer, waits as every 429 asks (same MS-RequestId on the retry), skips no page', async () => {
      const { partner } = await given.connectedPartner(system, emulator, setup);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active', 90_000);
      const customers = await system.database.db.selectFrom('customers').select('customer_id').where('partner_id', '=', partner.id).execute();
      assert.equal(customers.length, 250);
      const run = await system.database.db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(run.pages, 10, 'every page stored once');
      assert.equal(run.customers_seen, 250);

      const requests = emulator.requests.filter((r) => r.service === 'partner-center');
      const throttledEvents = emulator.events.filter((e) => e.type === 'partner_center.throttled');
      const throttled = requests.filter((r) => r.status === 429);
      assert.ok(throttled.length >= 3, `the scenario throttles (${throttled.length} answers 429)`);
      assert.equal(throttled.length, throttledEvents.length);
      throttled.forEach((answer, i) => {
        const retryAfterMs = Number(throttledEvents[i]!.detail.retryAfter) * 1000;
        const at = Date.parse(throttledEvents[i]!.at);
        const retry = requests.find((r) => r !== answer && r.clientRequestId === answer.clientRequestId && Date.parse(r.at) > Date.parse(answer.at));
        assert.ok(retry, `the throttled request ${answer.clientRequestId} was repeated with the same MS-RequestId`);
        // The answer is logged when sent; allow the few milliseconds between the event and the log.
        assert.ok(Date.parse(retry!.at) - at >= retryAfterMs - 50, `retry ${Date.parse(retry!.at) - at} ms after a 429 asking for ${retryAfterMs} ms`);
      });
      assert.ok(run.throttled_count >= 1, 'the run counts its 429s');
    });
  });
}

for (const backend of testBackends()) {
  describe(`customer sync, scenario flaky-partner-center (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'flaky-partner-center' });
      system = await startTestSystem(backend, { emulator });
    });
    const setup = { scenario: 'flaky-partner-center', customers: 250, prepare: (tenant: ScenarioTenant) => { tenant.partnerCenter.maxPageSize = 50; } };
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('retries a failed page with backoff and imports every customer once', async () => {
      const { partner } = await given.connectedPartner(system, emulator, setup);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
      const run = await system.database.db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(run.total_count, 250);
      assert.equal(run.pages, 5);
      const failed = emulator.requests.filter((r) => r.service === 'partner-center' && r.status >= 500);
      assert.ok(failed.length >= 1, 'the scenario failed some requests');
    });
  });
}
