import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { acceptTerms, entraAppInput } from '../support/connect.ts';
import { preferredBackend } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup, newTenant } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The app checks of the wizard send what was typed to Microsoft's token endpoint: bounded per
// signup, so the wizard is no oracle for guessing secrets.

describe('connect wizard: the tenant must be the company\u2019s own; app checks are bounded per signup', () => {
  let system: TestSystem;
  let emulator: Emulator;

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    system = await startTestSystem(preferredBackend(), { emulator });
  });
  after(async () => {
    await system.dispose();
    await emulator.close();
  });

  it('twenty checks an hour, then 429 with the wait, before Microsoft is asked; an hour later checks work again', async () => {
    const browser = new Browser(system.url!);
    const { tenant } = await claimedSignup(system, browser);
    await acceptTerms(browser);
    const tokenCalls = () => emulator.requests.filter((r) => /\/oauth2\/v2\.0\/token/.test(r.path)).length;
    const before = tokenCalls();
    for (let i = 0; i < 20; i++) {
      const answer = await browser.post('/api/connect/entra-app', entraAppInput(tenant, { clientSecret: `wrong-secret-${i}-${'x'.repeat(30)}` }));
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
    }
    const callsForTwenty = tokenCalls() - before;
    assert.ok(callsForTwenty >= 20, `each check asked Microsoft (${callsForTwenty} token calls)`);
    const refused = await browser.post('/api/connect/entra-app', entraAppInput(tenant));
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /Too many app checks/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'says how long to wait');
    assert.equal(tokenCalls() - before, callsForTwenty, 'the refused check never reached Microsoft');

    system.clock.advance(3600_000 + 1000);
    assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
  });

  it('a tenant without the signed-up domain is refused at the tenant field, even when the domain resolves nowhere', async () => {
    const browser = new Browser(system.url!);
    // A company whose signed-up domain is not a verified domain of the tenant it enters.
    const { request } = await claimedSignup(system, browser, { company: { entraDomain: `elsewhere${Date.now()}.onmicrosoft.com` } }, { tenant: 'none' });
    const tenant = newTenant(system);
    await acceptTerms(browser);
    const refused = await browser.post('/api/connect/entra-app', entraAppInput(tenant));
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.fields[0].path, 'tenant');
    assert.match(refused.body.error.fields[0].message, new RegExp(request.company.entraDomain.replace(/\./g, '\\.')));
    assert.match(refused.body.error.fields[0].message, /Domain names/);
    // Once the company's domain is verified in that tenant, the same values pass.
    tenant.patch({ op: 'addDomain', name: request.company.entraDomain });
    assert.equal((await browser.post('/api/connect/entra-app', entraAppInput(tenant))).status, 200);
  });
});
