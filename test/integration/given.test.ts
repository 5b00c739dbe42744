import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { webAppSecretEnd, type PartnerTenant } from '../support/connect.ts';
import { testBackends } from '../support/database.ts';
import { given } from '../support/given.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';

// test/support/given.ts builds a connected partner through the product's services instead of over
// HTTP. It is only worth its speed if what it leaves is what the wizard leaves: the same rows, the
// same vault fields, the same lifecycle and audit trail, the same queued import. Each part is read
// for a partner connected over HTTP (connectPartner) and one given, and compared.

const customers = 30;

/** Everything of a partner's connection a later test may rely on, without ids and instants. */
async function connectionFacts(system: TestSystem, partnerId: string, tenant: PartnerTenant) {
  const db = system.database.db;
  const partner = await db.selectFrom('partners').selectAll().where('id', '=', partnerId).executeTakeFirstOrThrow();
  const contacts = await db.selectFrom('contacts').select(['role', 'job_title']).where('partner_id', '=', partnerId).orderBy('role').execute();
  const links = await db.selectFrom('one_time_tokens').selectAll().where('partner_id', '=', partnerId).orderBy('created_at').execute();
  const terms = await db.selectFrom('terms_acceptances').select(['document', 'version', 'sha256', 'ip', 'user_agent']).where('partner_id', '=', partnerId).orderBy('document').execute();
  const connection = await db.selectFrom('microsoft_connections').selectAll().where('partner_id', '=', partnerId).executeTakeFirstOrThrow();
  const run = await db.selectFrom('preflight_runs').selectAll().where('id', '=', connection.last_preflight_run_id!).executeTakeFirstOrThrow();
  const vault = await db.selectFrom('credentials').select(['field', 'wrapping', 'hint']).where('partner_id', '=', partnerId).orderBy('field').execute();
  const audit = await db.selectFrom('audit_events').select(['action', 'actor_type', 'ip', 'details']).where('partner_id', '=', partnerId).orderBy('id').execute();
  // What happened up to the commit (the import may have begun since).
  const untilCommit = audit.slice(0, audit.findIndex((e) => e.action === 'connect.committed') + 1);
  const details = (e: { details: unknown }) => (typeof e.details === 'string' ? JSON.parse(e.details) : e.details) as Record<string, unknown>;
  const { rows: jobs } = await sql<{ data: { partnerId: string; reason: string }; singleton_key: string | null }>`
    SELECT data, singleton_key FROM pgboss.job WHERE name = 'sync.customers' AND data->>'partnerId' = ${partnerId} ORDER BY created_on`.execute(db);
  return {
    emailVerified: partner.email_verified_at !== null,
    contacts: contacts.map((c) => c.role),
    links: links.map((l) => ({ purpose: l.purpose, issuedBy: l.issued_by, claimed: l.claimed_at !== null, spent: l.spent_at !== null, revoked: l.revoked_at !== null })),
    terms,
    connection: {
      tenantId: connection.tenant_id === tenant.id,
      entraAppId: connection.entra_app_id === tenant.facts.totalOneApp.appId,
      webAppId: connection.partner_center_web_app_id === tenant.facts.partnerCenter.webAppId,
      nativeAppId: connection.partner_center_native_app_id === tenant.facts.partnerCenter.nativeAppId,
      entraSecretHint: connection.entra_secret_hint === tenant.facts.totalOneApp.secret!.slice(0, 3),
      partnerCenterSecretHint: connection.partner_center_secret_hint === tenant.facts.partnerCenter.webAppSecret!.slice(0, 3),
      secretEndFromMicrosoft: String(connection.partner_center_secret_expires_on) === webAppSecretEnd(tenant),
      serviceAccount: connection.service_account_upn === tenant.facts.serviceAccount.upn,
      mfaPerformed: connection.mfa_performed,
      signedIn: connection.signed_in_at !== null && connection.sign_in_error === null,
      committed: connection.committed_at !== null,
      tenantHeld: connection.tenant_released_at === null,
    },
    graphDelegated: connection.graph_delegated,
    preflight: { passed: run.all_required_passed, triggeredBy: run.triggered_by, checks: (run.checks as Array<{ id: string; status: string }>).map((c) => `${c.id}:${c.status}`) },
    // Field names and how each is wrapped (one entry per field: the import may be storing a rotated token).
    vault: [...new Set(vault.map((f) => `${f.field} under ${f.wrapping}${f.hint === null ? '' : ', with a hint'}`))],
    transitions: untilCommit.filter((e) => e.action === 'partner.state_changed').map((e) => `${details(e).transition} by ${e.actor_type}`),
    audit: untilCommit.map((e) => `${e.action} by ${e.actor_type} from ${e.ip ?? 'nowhere'}`),
    firstImport: jobs[0] ? { reason: jobs[0].data.reason, singletonKey: jobs[0].singleton_key === partnerId } : undefined,
  };
}

async function customerCount(system: TestSystem, partnerId: string) {
  const row = await system.database.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).where('partner_id', '=', partnerId).executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const backend of testBackends()) {
  describe(`a given connected partner is one connected over HTTP (${backend})`, () => {
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

    it('leaves the same partner, connection, vault fields, checks, audit trail and queued import; the import then activates it', async () => {
      const overHttp = await connectPartner(system, emulator, { secondary: true, patches: [{ op: 'setCustomers', count: customers }] });
      const givenOne = await given.connectedPartner(system, emulator, { secondary: true, customers });

      const expected = await connectionFacts(system, overHttp.partner.id, overHttp.tenant);
      const actual = await connectionFacts(system, givenOne.partner.id, givenOne.tenant);
      // What the HTTP journey leaves, spelled out once, so a comparison of two empty answers cannot pass.
      assert.equal(expected.emailVerified, true);
      assert.deepEqual(expected.contacts, ['primary', 'secondary']);
      assert.ok(Object.values(expected.connection).every((v) => v === true), JSON.stringify(expected.connection));
      assert.equal(expected.preflight.passed, true);
      assert.deepEqual(expected.transitions, ['markEmailVerified by partner', 'markLinkSent by system', 'markConnecting by partner', 'markConnected by partner']);
      assert.ok(expected.vault.some((f) => f.startsWith('partner_center_refresh_token ')), JSON.stringify(expected.vault));
      assert.deepEqual(expected.firstImport, { reason: 'first_connect', singletonKey: true });

      assert.deepEqual(actual, expected);

      // The import runs for the given partner as for the other one: active, with every customer.
      for (const partner of [overHttp.partner, givenOne.partner]) {
        await waitFor(`partner ${partner.reference} active`, async () => (await partnerState(system, partner.id)) === 'active');
        assert.equal(await customerCount(system, partner.id), customers);
      }

      // The given browser holds the session that claimed the link: it reads the status as the connecting browser does.
      const status = await givenOne.browser.get('/api/status');
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.equal(status.body.state, 'active');
      assert.equal(status.body.customerCount, customers);
    });
  });
}
