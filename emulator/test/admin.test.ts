// The admin API over HTTP, multi-partner scenarios and the emulator object's accessors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildScenarioTenant, startEmulator, type Emulator, type Scenario } from '../index.ts';
import { REDIRECT_URI, appToken, bearer, getJson, postForm, sendJson, signInServiceAccount } from './helpers.ts';

let e: Emulator;
let clock = new Date('2026-11-25T12:00:00Z');
before(async () => { e = await startEmulator({ port: 0, now: () => clock, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });

describe('admin API', () => {
  it('describes the emulator and lists scenarios', async () => {
    const info = await getJson(`${e.baseUrl}/_emulator`);
    assert.equal(info.status, 200);
    assert.equal(info.body.baseUrl, e.baseUrl);
    assert.equal(info.body.scenario, 'ready');
    assert.equal(info.body.facts[0].serviceAccount.upn, 'total.one@contoso.onmicrosoft.com');
    const list = await getJson(`${e.baseUrl}/_emulator/scenarios`);
    assert.ok(list.body.value.some((s: any) => s.name === 'large-partner'));
    assert.doesNotMatch(e.baseUrl, /\/$/);
    assert.equal((await getJson(`${e.baseUrl}/_emulator/key-vault`)).status, 404, 'no Key Vault unless asked for');
  });

  it('loads a scenario, patches it, and resets', async () => {
    const loaded = await sendJson('POST', `${e.baseUrl}/_emulator/scenario`, { name: 'no-admin-consent' });
    assert.equal(loaded.status, 200);
    assert.equal(e.scenario.name, 'no-admin-consent');
    const unknown = await sendJson('POST', `${e.baseUrl}/_emulator/scenario`, { name: 'nope' });
    assert.equal(unknown.status, 400);
    const broken = structuredClone(e.scenario) as any;
    broken.tenants[0].users[0].mfa = { method: 'sms' };
    const invalid = await sendJson('POST', `${e.baseUrl}/_emulator/scenario`, { scenario: broken });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error, /^Invalid scenario: tenants\.0\.users\.0\.mfa/);
    assert.equal(e.scenario.name, 'no-admin-consent', 'a rejected scenario leaves the running one in place');
    const patched = await sendJson('POST', `${e.baseUrl}/_emulator/scenario/patch`, { operations: [{ op: 'grantAdminConsent' }, { op: 'addClientSecret', displayName: 'rotated' }] });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.results[1].secret.secretText.length, 40);
    assert.ok((await getJson(`${e.baseUrl}/_emulator/grants`)).body.value[0].appRoleAssignments.length >= 4);
    const badPatch = await sendJson('POST', `${e.baseUrl}/_emulator/scenario/patch`, { op: 'addGroupMember', group: 'NoSuchGroup' });
    assert.equal(badPatch.status, 400);
    assert.equal((await sendJson('POST', `${e.baseUrl}/_emulator/reset`, {})).status, 200);
    assert.equal(e.scenario.tenants[0]!.appRoleAssignments.length, 0, 'reset returns to the loaded scenario');
    await sendJson('POST', `${e.baseUrl}/_emulator/scenario`, { name: 'ready' });
  });

  it('moves the clock and gives the current TOTP code', async () => {
    const before = (await getJson(`${e.baseUrl}/_emulator/clock`)).body.now;
    assert.equal(before, clock.toISOString());
    const moved = await sendJson('POST', `${e.baseUrl}/_emulator/clock`, { advanceSeconds: 3600 });
    assert.equal(moved.body.now, new Date(clock.getTime() + 3600_000).toISOString());
    const totp = await getJson(`${e.baseUrl}/_emulator/totp?upn=${encodeURIComponent(e.facts.serviceAccount.upn)}`);
    assert.match(totp.body.code, /^\d{6}$/);
    assert.equal(totp.body.code, e.totp());
    assert.equal((await getJson(`${e.baseUrl}/_emulator/totp?upn=nobody@example.com`)).status, 404);
    // The address printed at start-up, without ?upn: every TOTP user of the scenario with its code.
    const all = await getJson(`${e.baseUrl}/_emulator/totp`);
    assert.equal(all.status, 200);
    const listed = all.body.value.find((u: { upn: string }) => u.upn === e.facts.serviceAccount.upn);
    assert.equal(listed.code, e.totp());
    assert.ok(listed.secondsLeft >= 1 && listed.secondsLeft <= 30);
    e.reset();
    assert.equal(e.now().toISOString(), clock.toISOString(), 'reset clears the clock offset');
  });

  it('follows the injected clock', async () => {
    clock = new Date('2027-01-01T00:00:00Z');
    assert.equal(e.now().toISOString(), '2027-01-01T00:00:00.000Z');
    clock = new Date('2026-11-25T12:00:00Z');
  });

  it('logs requests (codes redacted), issued tokens (claims, not tokens) and events', async () => {
    e.loadScenario('ready');
    const { signIn, token } = await signInServiceAccount(e);
    assert.equal(token.status, 200);
    const requests = (await getJson(`${e.baseUrl}/_emulator/requests?service=identity`)).body.value;
    assert.ok(requests.some((r: any) => r.path.includes('/oauth2/v2.0/token') && r.status === 200));
    assert.ok(!JSON.stringify(requests).includes(signIn.code!));
    const tokens = (await getJson(`${e.baseUrl}/_emulator/tokens`)).body.value;
    assert.ok(tokens.some((t: any) => t.kind === 'access_token' && t.amr.includes('mfa') && t.audience === 'https://api.partnercenter.microsoft.com'));
    assert.ok(!JSON.stringify(tokens).includes(token.body.access_token));
    const events = (await getJson(`${e.baseUrl}/_emulator/events?type=sign_in`)).body.value;
    assert.deepEqual(events.map((ev: any) => ev.type), ['sign_in.password', 'sign_in.mfa']);
  });

  it('the reply address is a scenario decision: ready registers it on the Partner Center web app only, reply-address-missing not at all', async () => {
    const webAppUris = () => {
      const t = e.scenario.tenants[0]!;
      return Object.fromEntries(t.applications.map((a) => [a.appId, [...a.webRedirectUris, ...a.publicClientRedirectUris]]));
    };
    const f = e.facts;
    e.loadScenario('ready');
    assert.deepEqual(webAppUris()[f.partnerCenter.webAppId], [REDIRECT_URI]);
    assert.deepEqual(webAppUris()[f.totalOneApp.appId], [], 'the emulator registers nothing on other apps');
    assert.ok(!webAppUris()[f.partnerCenter.nativeAppId]!.some((u) => u.startsWith('http')), 'no loopback leniency the registration does not list');

    const other = 'https://signup.example.com/api/connect/microsoft/callback';
    const loaded = await sendJson('POST', `${e.baseUrl}/_emulator/scenario`, { name: 'reply-address-missing', replyAddress: other });
    assert.equal(loaded.status, 200);
    assert.deepEqual(webAppUris()[f.partnerCenter.webAppId], []);
    assert.equal(e.replyAddress, other, 'the parameter is kept for later loads');
    e.loadScenario('no-mfa');
    assert.deepEqual(webAppUris()[f.partnerCenter.webAppId], [other], 'variants of ready register it');
    // The fix a partner makes in the Entra admin center.
    e.loadScenario('reply-address-missing');
    const patched = await sendJson('POST', `${e.baseUrl}/_emulator/scenario/patch`, { op: 'addRedirectUri', uri: other, appId: f.partnerCenter.webAppId });
    assert.equal(patched.status, 200);
    assert.deepEqual(webAppUris()[f.partnerCenter.webAppId], [other]);
    e.loadScenario('ready', { replyAddress: REDIRECT_URI });
    assert.deepEqual(webAppUris()[f.partnerCenter.webAppId], [REDIRECT_URI]);
  });

  it('an unregistered redirect URI ends on Microsoft\'s own AADSTS50011 page, never back at the app', async () => {
    const f = e.facts;
    e.loadScenario('reply-address-missing');
    try {
      for (const uri of [REDIRECT_URI, 'http://localhost:9999/callback', 'http://127.0.0.1:8765/callback']) {
        const url = `${e.baseUrl}/${f.tenantId}/oauth2/v2.0/authorize?client_id=${f.partnerCenter.webAppId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(uri)}&state=s1&code_challenge=abc&code_challenge_method=S256`;
        const r = await fetch(url, { redirect: 'manual' });
        assert.ok(r.status < 300 || r.status >= 400, `${uri}: an error page, not a redirect`);
        assert.equal(r.headers.get('location'), null, 'no redirect back');
        assert.match(r.headers.get('content-type') ?? '', /text\/html/);
        const page = await r.text();
        assert.match(page, /AADSTS50011/);
        assert.ok(page.includes(uri.replace(/&/g, '&amp;')), 'the page names the redirect URI');
      }
      // A loopback URI the app lists matches on any port (the documented localhost exception).
      e.patch({ op: 'addRedirectUri', uri: 'http://localhost/callback', appId: f.partnerCenter.webAppId });
      const anyPort = await fetch(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/authorize?client_id=${f.partnerCenter.webAppId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:9999/callback')}&code_challenge=abc&code_challenge_method=S256`, { redirect: 'manual' });
      assert.equal(anyPort.status, 200);
      assert.match(await anyPort.text(), /<label for="loginfmt">/);
    } finally {
      e.loadScenario('ready');
    }
  });
});

describe('multi-partner scenarios', () => {
  it('serves two partner tenants side by side with separate throttling budgets', async () => {
    const now = e.now();
    const scenario: Scenario = {
      name: 'two-partners',
      description: 'contoso is ready, fabrikam has no MFA',
      tenants: [
        buildScenarioTenant('throttled', { now, seed: 'contoso', domainPrefix: 'contoso' }),
        buildScenarioTenant('no-mfa', { now, seed: 'fabrikam', domainPrefix: 'fabrikam', companyName: 'Fabrikam Partner', customerCount: 3 }),
      ],
    };
    e.loadScenario(scenario);
    const [contoso, fabrikam] = e.allFacts;
    assert.notEqual(contoso!.tenantId, fabrikam!.tenantId);
    assert.equal(fabrikam!.domain, 'fabrikam.onmicrosoft.com');
    const pcToken = async (facts: typeof contoso) => (await postForm(`${e.baseUrl}/${facts!.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: facts!.partnerCenter.webAppId, client_secret: facts!.partnerCenter.webAppSecret!, scope: 'https://api.partnercenter.microsoft.com/.default' })).body.access_token;
    const ct = await pcToken(contoso);
    const ft = await pcToken(fabrikam);
    for (let i = 0; i < 3; i++) await getJson(`${e.baseUrl}/v1/customers`, bearer(ct));
    assert.equal((await getJson(`${e.baseUrl}/v1/customers`, bearer(ct))).status, 429);
    const other = await getJson(`${e.baseUrl}/v1/customers`, bearer(ft));
    assert.equal(other.status, 200);
    assert.equal(other.body.items.length, 3);
    // A tenant's app cannot be used against the other tenant.
    const cross = await postForm(`${e.baseUrl}/${fabrikam!.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: contoso!.totalOneApp.appId, client_secret: contoso!.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(cross.body.error_codes[0], 700016);
    e.loadScenario('ready');
    assert.ok(await appToken(e));
  });

  it('another partner tenant joins the running world: its own sign-in and customers, kept by reset, gone with the next scenario', async () => {
    const now = e.now();
    const added = e.addTenant(buildScenarioTenant('ready', { now, seed: 'northwind', domainPrefix: 'northwind', customerCount: 2 }));
    assert.equal(added.domain, 'northwind.onmicrosoft.com');
    assert.deepEqual(e.allFacts.map((f) => f.domain), ['contoso.onmicrosoft.com', 'northwind.onmicrosoft.com']);
    assert.throws(() => e.addTenant(buildScenarioTenant('ready', { now, seed: 'other', domainPrefix: 'northwind' })), /already has a tenant with northwind\.onmicrosoft\.com/);
    const token = await postForm(`${e.baseUrl}/northwind.onmicrosoft.com/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: added.partnerCenter.webAppId, client_secret: added.partnerCenter.webAppSecret!, scope: 'https://api.partnercenter.microsoft.com/.default' });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal((await getJson(`${e.baseUrl}/v1/customers`, bearer(token.body.access_token))).body.items.length, 2);
    // A patch names the tenant it changes; the first tenant is untouched.
    e.patch({ op: 'setCustomers', count: 5, tenantId: added.tenantId });
    assert.equal(e.allFacts[1]!.partnerCenter.customerCount, 5);
    assert.equal(e.allFacts[0]!.partnerCenter.customerCount, 250);
    e.reset();
    assert.equal(e.allFacts[1]!.partnerCenter.customerCount, 2, 'reset restores the tenant as it joined');
    e.loadScenario('ready');
    assert.equal(e.allFacts.length, 1);
  });
});
