import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { preferredBackend } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

describe('HTTP surface', () => {
  let system: TestSystem;
  let browser: Browser;
  before(async () => {
    system = await startTestSystem(preferredBackend());
    browser = new Browser(system.url!);
  });
  after(() => system.dispose());

  it('publishes an OpenAPI 3 document generated from the route schemas, and a browsable reference', async () => {
    const doc = await browser.get('/docs/json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.0.3');
    const paths = Object.keys(doc.body.paths);
    for (const path of ['/api/signups', '/api/email-verifications', '/api/verification-emails', '/api/signup-link-requests', '/api/signup-links/inspect', '/api/signup-links/claim', '/api/support-requests', '/api/connect/terms-acceptances']) {
      assert.ok(paths.includes(path), `${path} is documented`);
    }
    const signup = doc.body.paths['/api/signups'].post;
    assert.ok(signup.requestBody.content['application/json'].schema.properties.company, 'request schema comes from the zod contract');
    assert.ok(signup.responses['202'] && signup.responses['400']);
    const page = await browser.get('/docs/');
    assert.equal(page.status, 200);
    assert.match(String(page.body), /swagger/i);
    assert.ok(!String(page.headers.get('content-security-policy')).includes('upgrade-insecure-requests'));
  });

  it('answers health and readiness', async () => {
    assert.deepEqual((await browser.get('/healthz')).body, { status: 'ok' });
    const ready = await browser.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.database, 'ok');
  });

  it('sends strict security headers', async () => {
    const response = await browser.get('/api/csrf-token');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  });

  it('answers unknown API paths with a JSON 404 that says what was asked', async () => {
    const response = await browser.get('/api/nothing-here?x=1');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'NOT_FOUND');
    assert.match(response.body.error.message, /GET \/api\/nothing-here/);
  });
});
