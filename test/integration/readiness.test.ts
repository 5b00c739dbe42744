import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adminClient, databaseName } from '../support/child-app.ts';
import { signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem } from '../support/system.ts';

// Readiness tells a load balancer whether this instance can serve: it must say "not ready" as soon
// as the database refuses new sessions, even while a session the pool already holds still works.

const serverUrl = process.env.TEST_POSTGRES_URL;
const postgres = serverUrl ? describe : describe.skip;

postgres('readiness (postgres)', () => {
  it('/readyz answers 503 while the database refuses new sessions (pooled ones still open), 200 again once it accepts them', async () => {
    const system = await startTestSystem('postgres');
    const admin = await adminClient(serverUrl!);
    const name = databaseName(system.db.url!);
    try {
      const browser = new Browser(system.url!);
      assert.equal((await browser.get('/readyz')).status, 200);
      // Sessions in the pool: a signup uses them.
      assert.equal((await browser.post('/api/signups', signupRequest())).status, 202);
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      const refused = await browser.get('/readyz');
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.body.checks, { database: 'unreachable' });
      // Requests on pooled sessions answer 202 or 503 ("try again"), never 500.
      const signup = await browser.post('/api/signups', signupRequest());
      assert.ok([202, 503].includes(signup.status), `signup answered ${signup.status}`);
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
      assert.equal((await browser.get('/readyz')).status, 200);
    } finally {
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.end();
      await system.dispose();
    }
  });
});
