import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { testBackends } from '../../support/database.ts';
import { signupRequest } from '../../support/factories.ts';
import { Browser } from '../../support/http.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { waitFor } from '../../support/sync.ts';

// "Send me a new confirmation email / signup link" must not tell, by its answer or its timing,
// whether a signup exists for the address. The request does the same work either way (count it,
// queue one job); the worker looks the address up. Shown here with a web-only process: the
// request leaves no trace but its job, known address or not.

async function footprint(system: TestSystem) {
  const db = system.database.db;
  const count = async (table: 'outbox' | 'one_time_tokens' | 'audit_events') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { outbox: await count('outbox'), tokens: await count('one_time_tokens'), audit: await count('audit_events') };
}

async function jobs(system: TestSystem) {
  const { rows } = await sql<{ data: { kind: string; email: string } }>`SELECT data FROM pgboss.job WHERE name = 'signup.link-request' ORDER BY created_on`.execute(system.database.db);
  return rows.map((r) => r.data);
}

for (const backend of testBackends()) {
  describe(`Security: equal work for known and unknown addresses (${backend})`, () => {
    it('known and unknown addresses: same answer, one queued job each, nothing else until the worker decides', async () => {
      const web = await startTestSystem(backend, { roles: ['web'] });
      let worker: TestSystem | undefined;
      try {
        const request = signupRequest();
        const known = request.primaryContact.email;
        const unknown = `nobody.${Date.now()}@nowhere.example`;
        assert.equal((await new Browser(web.url!).post('/api/signups', request)).status, 202);
        const before = await footprint(web);

        const answers: string[] = [];
        for (const [path, email] of [['/api/verification-emails', known], ['/api/verification-emails', unknown], ['/api/signup-link-requests', known], ['/api/signup-link-requests', unknown]] as const) {
          const response = await new Browser(web.url!).post(path, { email });
          assert.equal(response.status, 202);
          answers.push(`${path} ${JSON.stringify(response.body)}`);
        }
        assert.equal(answers[0]!.replace(known, ''), answers[1]!.replace(unknown, ''));
        assert.equal(answers[2], answers[3]!);
        assert.deepEqual(await footprint(web), before, 'the requests looked nothing up and wrote nothing but their jobs');
        assert.deepEqual(
          (await jobs(web)).map((j) => `${j.kind} ${j.email}`),
          [`verification ${known}`, `verification ${unknown}`, `signup_link ${known}`, `signup_link ${unknown}`],
        );

        // The worker decides: the known address gets new confirmation emails, the unknown nothing.
        await web.stop();
        worker = await web.restart({ roles: ['web', 'worker'] });
        const partner = await worker.database.db.selectFrom('partners').select('id').where('entra_domain', '=', request.company.entraDomain).executeTakeFirstOrThrow();
        await waitFor('both requests handled', async () => {
          const tokens = await worker!.database.db.selectFrom('one_time_tokens').selectAll().where('partner_id', '=', partner.id).execute();
          return tokens.length === 3;
        }, 30_000);
        const ignored = await worker.database.db.selectFrom('audit_events').select('action').where('action', 'in', ['verification_link.resend_ignored', 'signup_link.request_ignored']).execute();
        await waitFor('the unknown addresses ignored', async () => ignored.length === 2 || (await worker!.database.db.selectFrom('audit_events').select('action').where('action', 'in', ['verification_link.resend_ignored', 'signup_link.request_ignored']).execute()).length === 2, 30_000);
        const usable = await worker.database.db.selectFrom('one_time_tokens').select('id').where('partner_id', '=', partner.id).where('revoked_at', 'is', null).execute();
        assert.equal(usable.length, 1);
        await worker.catcher!.waitFor((m) => m.to.includes(known) && /Confirm your email/.test(m.subject), 20_000);
        assert.equal(worker.catcher!.messages().filter((m) => m.to.includes(unknown)).length, 0);
      } finally {
        if (worker) await worker.dispose();
        else await web.dispose();
      }
    });
  });
}
