import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft } from '../support/connect.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { activeOperator, signIn } from './operators.helpers.ts';

// Operator console: after a full connect against the emulator, no console response holds a secret: neither
// the emulator's secrets and passwords, nor the stored credentials' values (refresh tokens
// included), nor anything shaped like a token, a hash or a sealed value. Then the partner actions
// that need a connected partner: re-run preflight, restart a failed import, suspend.

const jwtLike = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const longOpaque = /[A-Za-z0-9_-]{40,}/;
const hexHash = /\b[0-9a-f]{64}\b/;

for (const backend of testBackends()) {
  describe(`Operator console: never a secret (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    async function waitForState(partnerId: string, states: string[]) {
      for (let i = 0; i < 100; i++) {
        const row = await system.database.db.selectFrom('partners').select('state').where('id', '=', partnerId).executeTakeFirstOrThrow();
        if (states.includes(row.state)) return row.state;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.fail(`partner never reached ${states.join('/')}`);
    }

    it('shows connected partners with masked credentials only; no response contains a secret', async () => {
      const { browser, partner, tenant } = await claimedSignup(system);
      await acceptTerms(browser);
      assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
      assert.equal((await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant))).status, 200);
      await signInWithMicrosoft(browser, tenant);
      const commit = await browser.post('/api/connect/commit');
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      await waitForState(partner.id, ['active', 'sync_failed']);
      await browser.post('/api/support-requests', { name: 'Jana Novak', email: 'jana.help@fabrikam.example', message: 'Where do I see my customers?', signupReference: partner.reference });

      const admin = await activeOperator(system, 'admin');
      const console = await signIn(system, admin);
      const responses: string[] = [];
      const read = async (path: string) => {
        const response = await console.get(path);
        assert.equal(response.status, 200, `${path}: ${JSON.stringify(response.body)}`);
        responses.push(`${path}\n${JSON.stringify(response.body)}`);
        return response.body;
      };

      const rerun = await console.post(`/api/console/partners/${partner.id}/preflight-runs`, { reason: 'Partner asked us to check again' });
      assert.equal(rerun.status, 200, JSON.stringify(rerun.body));
      responses.push(JSON.stringify(rerun.body));

      const detail = await read(`/api/console/partners/${partner.id}`);
      assert.equal(detail.connection.tenantId, tenant.facts.tenantId);
      assert.ok(detail.credentials.length >= 3);
      for (const credential of detail.credentials) assert.deepEqual(Object.keys(credential).sort(), ['expiresAt', 'field', 'hint', 'label']);
      assert.ok(detail.credentials.some((c: { label: string }) => c.label === 'Entra app client secret'), 'labels come from the credential owner');
      assert.ok(detail.termsAccepted.length >= 2);
      assert.ok(detail.preflightRuns.length >= 2, 'the partner\u2019s run and the operator\u2019s');
      assert.ok(detail.preflightRuns[0].triggeredBy.startsWith('operator:'));
      assert.ok(detail.syncRuns.length >= 1);
      assert.ok(detail.timeline.some((t: { action: string }) => t.action === 'signup_link.spent'));
      assert.ok(detail.availableActions.includes('rerun_preflight'));

      await read('/api/console/overview');
      await read('/api/console/partners?limit=100');
      await read(`/api/console/partners?q=${encodeURIComponent(partner.entra_domain)}`);
      const support = await read('/api/console/support-requests?limit=100');
      for (const item of support.items) await read(`/api/console/support-requests/${item.id}`);
      await read('/api/console/operators');
      await read('/api/console/session');
      let cursor: number | null = null;
      do {
        const page: { items: unknown[]; nextCursor: number | null } = await read(`/api/console/audit-events?limit=200${cursor ? `&before=${cursor}` : ''}`);
        cursor = page.nextCursor;
      } while (cursor);

      const stored = await system.services.vault.openMany(partner.id, detail.credentials.map((c: { field: string }) => c.field));
      const secrets = [
        tenant.facts.totalOneApp.secret!,
        tenant.facts.partnerCenter.webAppSecret!,
        tenant.facts.serviceAccount.password,
        ...(tenant.facts.serviceAccount.totpSecret ? [tenant.facts.serviceAccount.totpSecret] : []),
        ...Object.values(stored),
      ];
      assert.ok(Object.keys(stored).some((field) => field.includes('refresh_token')));
      const text = responses.join('\n');
      assert.ok(text.length > 20_000, `the console said enough to be searched (${text.length} characters)`);
      for (const secret of secrets) assert.ok(!text.includes(secret), `a console response contains a secret (${secret.slice(0, 4)}...)`);
      for (const [name, pattern] of [['JWT-shaped token', jwtLike], ['long opaque token', longOpaque], ['64-hex hash', hexHash], ['argon2 hash', /\$argon2/], ['sealed value', /\bv1\.[A-Za-z0-9_-]{12,}\./]] as const) {
        const match = pattern.exec(text);
        assert.equal(match, null, `${name} in a console response: ${match?.[0]}`);
      }
    });

    it('restarts a failed customer import and suspends a partner (its links die), each audited with its reason', async () => {
      const { partner, signupToken, browser } = await claimedSignup(system);
      const operator = await activeOperator(system, 'support');
      const console = await signIn(system, operator);

      const notFailed = await console.post(`/api/console/partners/${partner.id}/sync-runs`, { reason: 'try' });
      assert.equal(notFailed.status, 409);
      assert.equal(notFailed.body.error.code, 'ACTION_NOT_AVAILABLE');

      // A partner whose import failed (the sync module's failure path is tested there).
      await system.database.db.updateTable('partners').set({ state: 'sync_failed' }).where('id', '=', partner.id).execute();
      const restarted = await console.post(`/api/console/partners/${partner.id}/sync-runs`, { reason: 'Partner Center was down yesterday' });
      assert.equal(restarted.status, 200, JSON.stringify(restarted.body));
      assert.ok(['connected', 'syncing', 'active', 'sync_failed'].includes(restarted.body.partnerState));
      const queued = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'sync.customers' AND data->>'partnerId' = ${partner.id} AND data->>'reason' = 'operator'`.execute(system.database.db);
      assert.equal(Number(queued.rows[0]!.n), 1, 'the import job is queued');
      const jobs = await system.database.db.selectFrom('audit_events').select(['details']).where('partner_id', '=', partner.id).where('action', '=', 'console.sync_restarted').execute();
      assert.equal(jobs.length, 1);
      assert.equal((jobs[0]!.details as { reason: string }).reason, 'Partner Center was down yesterday');

      const suspended = await console.post(`/api/console/partners/${partner.id}/suspension`, { reason: 'Fraud suspicion, ticket 77' });
      assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
      assert.equal(suspended.body.partnerState, 'suspended');
      const again = await console.post(`/api/console/partners/${partner.id}/suspension`, { reason: 'twice' });
      assert.equal(again.status, 409);
      const link = await browser.post('/api/signup-links/inspect', { token: signupToken });
      assert.equal(link.status, 410);
      assert.equal(link.body.error.code, 'LINK_REVOKED');
      const detail = await console.get(`/api/console/partners/${partner.id}`);
      // Suspended, nothing but offboarding is left to do.
      assert.deepEqual(detail.body.availableActions, ['offboard']);
    });
  });
}
