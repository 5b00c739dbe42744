import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { preferredBackend } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { claimedSignup } from '../../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';

// Partner answers carry company names, customers and session state: no browser or shared cache
// may keep them. Every JSON answer says Cache-Control: no-store, errors included.

describe('Security: partner JSON answers are never stored', () => {
  let system: TestSystem;

  before(async () => {
    system = await startTestSystem(preferredBackend());
  });
  after(() => system.dispose());

  it('signup, connect, status and tenant answers, successes and errors', async () => {
    const { browser, signupToken } = await claimedSignup(system);
    const answers = [
      await browser.get('/api/signup-session'),
      await browser.post('/api/signup-links/inspect', { token: signupToken }),
      await browser.post('/api/signup-links/claim', { token: signupToken }),
      await browser.get('/api/connect/state'),
      await browser.get('/api/status'),
      await browser.get('/api/tenant/summary'),
      await browser.get('/api/tenant/customers'),
      await browser.get('/api/csrf-token'),
      await browser.post('/api/signup-link-requests', { email: 'nobody@nowhere.example' }),
      await new Browser(system.url!).get('/api/status'),
      await new Browser(system.url!).post('/api/signup-links/inspect', { token: 'A'.repeat(43) }),
      await new Browser(system.url!).post('/api/support-requests', { name: 'x' }),
      await new Browser(system.url!).get('/api/nothing-here'),
    ];
    for (const answer of answers) {
      assert.match(answer.headers.get('content-type') ?? '', /json/);
      assert.equal(answer.headers.get('cache-control'), 'no-store', `${answer.status} ${JSON.stringify(answer.body).slice(0, 80)}`);
    }
  });
});
