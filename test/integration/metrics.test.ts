import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { createHttpApp } from '../../server/app/http.ts';
import { createMetrics } from '../../server/app/metrics.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { preferredBackend } from '../support/database.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// /metrics in Prometheus' text format: read after a signup and a customer import, as a scraper
// would. Format: https://prometheus.io/docs/instrumenting/exposition_formats/

/** The value of one series (name and exact labels) in an exposition text; undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let system: TestSystem;
  let emulator: Emulator;
  const token = 'metrics-token-for-the-test-0123456789';

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    system = await startTestSystem(preferredBackend(), { emulator, env: { METRICS_TOKEN: token } });
  });
  after(async () => {
    await system.dispose();
    await emulator.close();
  });

  it('after a signup and a customer import: HTTP latency by route, signups, outbox, job queues, imports, Partner Center requests and vault operations', async () => {
    const { partner } = await connectPartner(system, emulator);
    await waitFor('the partner active', async () => (await partnerState(system, partner.id)) === 'active', 60_000);
    await waitFor('the ready email sent', async () => (await system.database.db.selectFrom('outbox').select('status').where('partner_id', '=', partner.id).where('template', '=', 'sync_completed').where('status', '=', 'sent').executeTakeFirst()) ?? false);

    const refused = await fetch(`${system.url}/metrics`);
    assert.equal(refused.status, 401, 'the token is required when one is set');
    const response = await fetch(`${system.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    assert.ok((value(text, 'totalone_http_request_duration_seconds_count{method="POST",route="/api/signups",status="202"}') ?? 0) >= 1, 'signup latency by route pattern');
    assert.ok(!/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}/.test(text), 'no ids in route labels');
    assert.ok((value(text, 'totalone_signups{stage="received"}') ?? 0) >= 1);
    assert.ok((value(text, 'totalone_signups{stage="email_verified"}') ?? 0) >= 1);
    assert.equal(value(text, 'totalone_partners{state="active"}'), 1);
    assert.ok((value(text, 'totalone_outbox_messages{status="sent"}') ?? 0) >= 3, 'confirmation, signup link and ready emails sent');
    assert.ok(value(text, 'totalone_outbox_oldest_waiting_seconds') !== undefined);
    assert.ok((value(text, 'totalone_jobs{queue="mail.send",state="completed"}') ?? 0) >= 3, 'jobs by queue and state');
    assert.match(text, /^totalone_jobs\{queue="sync\.customers",state="(active|completed)"\} 1$/m);
    assert.equal(value(text, 'totalone_sync_runs{status="completed"}'), 1);
    assert.ok((value(text, 'totalone_partner_center_requests{outcome="sent"}') ?? 0) >= 1);
    assert.equal(value(text, 'totalone_partner_center_requests{outcome="throttled"}'), 0);
    assert.ok((value(text, 'totalone_vault_key_operations_total{operation="wrap",outcome="ok"}') ?? 0) >= 1, 'vault operations');
    assert.ok((value(text, 'totalone_process_resident_memory_bytes') ?? 0) > 0, 'process metrics');
  });

  it('access: a token when set; without one, loopback only in the demo, and not served in production', async () => {
    const logger = createLogger({ level: 'silent' });
    const metrics = createMetrics({ db: system.database.db, logger });
    const ready = async () => ({ ok: true, checks: {} });
    const demo = await createHttpApp({ logger, publicUrl: 'http://localhost:3000', trustProxy: false, webDist: '/nonexistent', ready, metrics: { metrics, token: undefined, loopbackWithoutToken: true } });
    assert.equal((await demo.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).statusCode, 200);
    assert.equal((await demo.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' })).statusCode, 403);
    await demo.close();
    const production = await createHttpApp({ logger, publicUrl: 'https://signup.example', trustProxy: false, webDist: '/nonexistent', ready, metrics: { metrics, token: undefined, loopbackWithoutToken: false } });
    const off = await production.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    assert.equal(off.statusCode, 404);
    assert.match(off.json().error.message, /METRICS_TOKEN/);
    await production.close();
  });
});
