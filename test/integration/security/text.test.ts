import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testBackends } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { activeOperator, signIn } from '../operators.helpers.ts';

// Text the database cannot store: a NUL byte (PostgreSQL refuses 0x00) and a lone UTF-16
// surrogate (half an emoji: refused in the outbox's JSON). Each is a field-level 400, never a 500.

const NUL = 'Contoso\u0000Ltd';
const LONE = 'Contoso \uD83D Ltd';

for (const backend of testBackends()) {
  describe(`Security: unstorable text is refused per field (${backend})`, () => {
    let system: TestSystem;

    before(async () => {
      system = await startTestSystem(backend);
    });
    after(() => system.dispose());

    const refusedAt = (response: { status: number; body: any }, path: string, message = /cannot be stored|control characters/) => {
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.code, 'VALIDATION_FAILED');
      const field = response.body.error.fields.find((f: { path: string }) => f.path === path);
      assert.ok(field, `a problem for ${path}: ${JSON.stringify(response.body.error.fields)}`);
      assert.match(field.message, message);
    };

    it('tenant view search with a NUL byte or a lone surrogate', async () => {
      const { browser } = await claimedSignup(system);
      for (const search of [NUL, '\u0000']) refusedAt(await browser.get(`/api/tenant/customers?search=${encodeURIComponent(search)}`), 'search');
      // Half an emoji cannot be sent in a URL as such: its UTF-8 bytes decode to a replacement character.
      const half = await browser.get('/api/tenant/customers?search=Contoso%ED%A0%BD');
      assert.ok(half.status < 500, `${half.status}`);
    });

    it('console lists (signups, support inbox, audit log) with a NUL byte in the query', async () => {
      const operator = await activeOperator(system, 'admin');
      const console = await signIn(system, operator);
      refusedAt(await console.get(`/api/console/partners?q=${encodeURIComponent(NUL)}`), 'q');
      refusedAt(await console.get(`/api/console/support-requests?q=${encodeURIComponent(NUL)}`), 'q');
      refusedAt(await console.get(`/api/console/audit-events?actorId=${encodeURIComponent(NUL)}`), 'actorId');
    });

    it('support form: a lone surrogate or NUL in any text field', async () => {
      const anonymous = new Browser(system.url!);
      const valid = { name: 'Jana Novak', email: 'jana@fabrikam.example', message: 'My signup link did not arrive yet.' };
      for (const field of ['name', 'message'] as const) {
        for (const bad of [LONE, NUL, `${'x'.repeat(20)}\uDC00`]) {
          refusedAt(await anonymous.post('/api/support-requests', { ...valid, [field]: `${bad} and more text here` }), field);
        }
      }
      refusedAt(await anonymous.post('/api/support-requests', { ...valid, signupReference: 'TO-\uD800' }), 'signupReference', /signup reference/);
      const stored = await system.database.db.selectFrom('outbox').select('id').where('to_address', '=', valid.email).execute();
      assert.equal(stored.length, 0);
    });

    it('a field no schema checks (an unknown key, an object key) never reaches the database', async () => {
      const anonymous = new Browser(system.url!);
      const response = await anonymous.post('/api/support-requests', { name: 'Jana Novak', email: 'jana@fabrikam.example', message: 'My signup link did not arrive yet.', [`extra${LONE}`]: 1 });
      assert.ok(response.status === 400 || response.status === 201, `${response.status}`);
      const signup = await anonymous.post('/api/signups', { company: { legalName: LONE }, primaryContact: { firstName: NUL } });
      assert.equal(signup.status, 400);
      assert.ok(signup.body.error.fields.some((f: { path: string }) => f.path === 'company.legalName'));
    });
  });
}
