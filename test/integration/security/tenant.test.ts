import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startEmulator, type Emulator } from '../../../emulator/index.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft } from '../../support/connect.ts';
import { testBackends } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup, type TenantSetup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { connectPartner } from '../../support/sync.ts';
import { activeOperator, signIn } from '../operators.helpers.ts';

// One live partner per Microsoft tenant: a second signup entering a tenant another partner has
// connected is refused at the Entra step and at the commit, with the way to support; when two
// commits race, the database's unique index lets exactly one through; offboarding frees the tenant.

type Answer = { status: number; body: { error: { code: string; message: string; fields?: Array<{ path: string; message: string }> } } };

function assertTenantTaken(answer: Answer, reference: string) {
  assert.equal(answer.status, 409, JSON.stringify(answer.body));
  assert.equal(answer.body.error.code, 'TENANT_ALREADY_CONNECTED');
  assert.match(answer.body.error.message, /already connected to TotalOne by another signup/);
  assert.ok(answer.body.error.message.includes(reference), 'names the partner\u2019s own reference for support');
  assert.match(answer.body.error.message, /\/support/);
  assert.deepEqual(answer.body.error.fields?.map((f) => f.path), ['tenant'], 'shown at the tenant field');
}

for (const backend of testBackends()) {
  describe(`one live partner per Microsoft tenant (${backend})`, () => {
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

    /** A signup brought to the sign-in: terms accepted, both apps of its tenant checked. */
    async function atSignIn(setup: TenantSetup = {}) {
      const browser = new Browser(system.url!);
      const claimed = await claimedSignup(system, browser, {}, setup);
      await acceptTerms(browser);
      const entra = await browser.post('/api/connect/entra-app', entraAppInput(claimed.tenant));
      assert.equal(entra.status, 200, JSON.stringify(entra.body));
      const partnerCenter = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(claimed.tenant));
      assert.equal(partnerCenter.status, 200, JSON.stringify(partnerCenter.body));
      return claimed;
    }

    const liveHolders = async (tenantId: string) =>
      (await system.database.db.selectFrom('microsoft_connections').select('partner_id').where('tenant_id', '=', tenantId).where('committed_at', 'is not', null).where('tenant_released_at', 'is', null).execute()).map((r) => r.partner_id);

    it('a second signup entering a connected tenant is refused at the Entra step with the support path; support sees the holder in the console', async () => {
      const first = await connectPartner(system, emulator);
      // Another signup whose domain is verified in the same tenant, with valid app credentials.
      const browser = new Browser(system.url!);
      const second = await claimedSignup(system, browser, {}, { tenant: first.tenant });
      await acceptTerms(browser);
      const refused = await browser.post('/api/connect/entra-app', entraAppInput(first.tenant));
      assertTenantTaken(refused, second.partner.reference);
      assert.equal((await browser.get('/api/connect/state')).body.step, 'entra_app', 'nothing was saved');
      assert.deepEqual(await liveHolders(first.tenant.id), [first.partner.id]);

      const operator = await signIn(system, await activeOperator(system, 'support'));
      const detail = await operator.get(`/api/console/partners/${second.partner.id}`);
      assert.equal(detail.status, 200, JSON.stringify(detail.body));
      const event = detail.body.timeline.find((t: { action: string }) => t.action === 'connect.tenant_refused');
      assert.ok(event, 'the refusal is on the refused partner\u2019s timeline');
      assert.deepEqual(event.details, { tenantId: first.tenant.id, step: 'entra_app', heldByPartnerId: first.partner.id });
    });

    it('two commits for one tenant at once: exactly one wins, the other gets the clear message, never a 500; the index refuses a second holder', async () => {
      const one = await atSignIn();
      const other = await atSignIn({ tenant: one.tenant });
      await signInWithMicrosoft(one.browser, one.tenant);
      await signInWithMicrosoft(other.browser, one.tenant);

      const answers = await Promise.all([one.browser.post('/api/connect/commit'), other.browser.post('/api/connect/commit')]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], JSON.stringify(answers.map((a) => a.body)));
      const loserIndex = answers.findIndex((a) => a.status === 409);
      const winner = [one, other][1 - loserIndex]!;
      const loser = [one, other][loserIndex]!;
      assertTenantTaken(answers[loserIndex]!, loser.partner.reference);
      assert.deepEqual(await liveHolders(one.tenant.id), [winner.partner.id]);
      const loserState = (await system.database.db.selectFrom('partners').select('state').where('id', '=', loser.partner.id).executeTakeFirstOrThrow()).state;
      assert.equal(loserState, 'connecting', 'the refused commit changed nothing');
      assert.ok(!system.logLines.some((line) => /unhandled error/.test(line)), 'no 500');

      // The database itself refuses a second live holder, whatever the code before it checked.
      await assert.rejects(
        system.database.db.updateTable('microsoft_connections').set({ committed_at: new Date() }).where('partner_id', '=', loser.partner.id).execute(),
        (error: Error & { code?: string }) => error.code === '23505' && /microsoft_connections_one_live_tenant_idx/.test(`${error.message} ${(error as { constraint?: string }).constraint ?? ''}`),
      );
    });

    // PostgreSQL only (PGlite runs one transaction at a time): a commit that passed the check before
    // its transaction meets the index when the other commit lands first, and gets the same answer.
    it('a commit that loses the race inside its transaction gets the clear message from the index, not a 500', { skip: backend !== 'postgres' }, async () => {
      const first = await atSignIn();
      const second = await atSignIn({ tenant: first.tenant });
      await signInWithMicrosoft(second.browser, first.tenant);
      const db = system.database.db;
      let answer: Promise<Awaited<ReturnType<Browser['post']>>> | undefined;
      // The first partner's commit, held open: the second commit's check sees no holder yet, and its
      // write waits on the index until the first transaction ends.
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('microsoft_connections').set({ committed_at: new Date() }).where('partner_id', '=', first.partner.id).execute();
        answer = second.browser.post('/api/connect/commit');
        const deadline = Date.now() + 30_000;
        for (;;) {
          const waiting = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
          if (waiting.rows[0]!.n > 0) break;
          assert.ok(Date.now() < deadline, 'the second commit never waited on the first');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      assertTenantTaken((await answer!) as Answer, second.partner.reference);
      assert.deepEqual(await liveHolders(first.tenant.id), [first.partner.id]);
      const refusals = await db.selectFrom('audit_events').select('details').where('partner_id', '=', second.partner.id).where('action', '=', 'connect.tenant_refused').execute();
      assert.deepEqual(refusals.map((r) => r.details), [{ tenantId: first.tenant.id, step: 'commit', heldByPartnerId: first.partner.id }]);
    });

    it('an offboarded partner frees its tenant: another signup connects it', async () => {
      const first = await connectPartner(system, emulator);
      const next = await atSignIn({ tenant: first.tenant }).catch((error) => error as Error);
      assert.ok(next instanceof Error && /TENANT_ALREADY_CONNECTED/.test(next.message), 'held while the first partner is live');

      const operator = { id: '00000000-0000-4000-8000-000000000001', email: 'ops@totalone.example', role: 'admin' } as never;
      const result = await system.services.operatorConsole.offboard(first.partner.id, 'The company moved its tenant to another signup', operator, { ip: '127.0.0.1', userAgent: 'test' } as never);
      assert.equal(result.partnerState, 'offboarded');
      assert.deepEqual(await liveHolders(first.tenant.id), []);

      const successor = await atSignIn({ tenant: first.tenant });
      await signInWithMicrosoft(successor.browser, first.tenant);
      const commit = await successor.browser.post('/api/connect/commit');
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      assert.deepEqual(await liveHolders(first.tenant.id), [successor.partner.id]);
    });
  });
}
