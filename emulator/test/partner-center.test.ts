// Contract tests of the Partner Center subset: customer paging, profiles, throttling, MFA and faults.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../index.ts';
import { REDIRECT_URI, appToken, bearer, getJson, signInServiceAccount, type HttpResult } from './helpers.ts';

let e: Emulator;
const pc = (path: string) => `${e.baseUrl}/v1${path}`;

before(async () => { e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });
beforeEach(() => e.loadScenario('ready'));

async function userToken(): Promise<string> {
  const { token } = await signInServiceAccount(e);
  assert.equal(token.status, 200, JSON.stringify(token.body));
  return token.body.access_token;
}

/** Follow links.next the way a client must: relative URI under /v1 plus the continuation header. */
async function walkCustomers(token: string, size: number): Promise<{ ids: string[]; pages: number }> {
  let page: HttpResult = await getJson(pc(`/customers?size=${size}`), bearer(token));
  const ids: string[] = [];
  let pages = 0;
  for (;;) {
    assert.equal(page.status, 200, JSON.stringify(page.body));
    pages += 1;
    ids.push(...page.body.items.map((c: any) => c.id));
    const next = page.body.links.next;
    if (!next) break;
    const headers = Object.fromEntries(next.headers.map((h: { key: string; value: string }) => [h.key, h.value]));
    page = await getJson(pc(next.uri), { ...bearer(token), ...headers });
  }
  return { ids, pages };
}

/** Partner Center's error shape: code (a string), description, data, source "PartnerFD". */
function assertPcError(r: HttpResult, status: number, code: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code);
  assert.equal(typeof r.body.description, 'string');
  assert.ok(Array.isArray(r.body.data));
  assert.equal(r.body.source, 'PartnerFD');
}

describe('customers', () => {
  it('returns the documented collection shape and echoes MS-RequestId / MS-CorrelationId', async () => {
    const token = await userToken();
    const r = await getJson(pc('/customers?size=100'), { ...bearer(token), 'MS-RequestId': 'req-1', 'MS-CorrelationId': 'corr-1' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('ms-requestid'), 'req-1');
    assert.equal(r.headers.get('ms-correlationid'), 'corr-1');
    assert.equal(r.body.totalCount, 100);
    assert.equal(r.body.items.length, 100);
    assert.deepEqual(r.body.attributes, { objectType: 'Collection' });
    assert.deepEqual(r.body.links.self, { uri: '/customers?size=100', method: 'GET', headers: [] });
    assert.equal(r.body.links.next.uri, '/customers?size=100&seekOperation=Next');
    assert.equal(r.body.links.next.method, 'GET');
    assert.equal(r.body.links.next.headers[0].key, 'MS-ContinuationToken');
    const c = r.body.items[0];
    assert.match(c.id, /^[0-9a-f-]{36}$/);
    assert.equal(c.companyProfile.tenantId, c.id);
    assert.match(c.companyProfile.domain, /\.onmicrosoft\.com$/);
    assert.equal(typeof c.companyProfile.companyName, 'string');
    assert.equal(c.companyProfile.attributes.objectType, 'CustomerCompanyProfile');
    assert.ok(['reseller', 'advisor'].includes(c.relationshipToPartner));
    assert.equal(typeof c.allowDelegatedAccess, 'boolean');
    assert.deepEqual(c.links.self, { uri: `/customers/${c.id}`, method: 'GET', headers: [] });
    assert.deepEqual(c.attributes, { objectType: 'Customer' });
    const dap = r.body.items.map((x: { allowDelegatedAccess: boolean }) => x.allowDelegatedAccess);
    assert.ok(dap.includes(true) && dap.includes(false), 'allowDelegatedAccess differs between customers');
    const fresh = await getJson(pc('/customers?size=100'), bearer(token));
    assert.match(fresh.headers.get('ms-requestid')!, /^[0-9a-f-]{36}$/);
  });

  it('pages through all 250 customers with the continuation header; the last page has no next link', async () => {
    const { ids, pages } = await walkCustomers(await userToken(), 100);
    assert.equal(pages, 3);
    assert.equal(ids.length, 250);
    assert.equal(new Set(ids).size, 250);
    const again = await walkCustomers(await appToken(e, 'https://api.partnercenter.microsoft.com'), 100);
    assert.deepEqual(again.ids, ids, 'customers are deterministic and app-only access sees the same list');
  });

  it('walks 100,000 customers of large-partner in 200 pages', async () => {
    e.loadScenario('large-partner');
    const { ids, pages } = await walkCustomers(await appToken(e, 'https://api.partnercenter.microsoft.com'), 500);
    assert.equal(pages, 200);
    assert.equal(ids.length, 100_000);
    assert.equal(new Set(ids).size, 100_000);
  });

  it('reads one customer, 404 for an unknown one; rejects a bad continuation token or a seek without one', async () => {
    const token = await userToken();
    const first = (await getJson(pc('/customers?size=5'), bearer(token))).body.items[3];
    const one = await getJson(pc(`/customers/${first.id}`), bearer(token));
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, first);
    assertPcError(await getJson(pc('/customers/00000000-0000-4000-8000-000000000000'), bearer(token)), 404, '1000');
    assertPcError(await getJson(pc('/customers?size=5&seekOperation=Next'), bearer(token)), 400, '400056');
    assertPcError(await getJson(pc('/customers?size=5&seekOperation=Next'), { ...bearer(token), 'MS-ContinuationToken': 'garbage' }), 400, '400056');
  });
});

describe('profiles', () => {
  it('returns the organization and MPN profiles', async () => {
    const token = await userToken();
    const org = await getJson(pc('/profiles/organization'), bearer(token));
    assert.equal(org.status, 200);
    assert.equal(org.body.companyName, e.facts.partnerCenter.companyName);
    assert.equal(org.body.tenantId, e.facts.tenantId);
    assert.equal(org.body.attributes.objectType, 'OrganizationProfile');
    const mpn = await getJson(pc('/profiles/mpn'), bearer(token));
    assert.equal(mpn.body.mpnId, e.facts.partnerCenter.mpnId);
    assert.equal(mpn.body.profileType, 'MpnProfile');
  });
});

describe('access control', () => {
  it('401 without a token or with a Graph token', async () => {
    assertPcError(await getJson(pc('/customers')), 401, '800001');
    assertPcError(await getJson(pc('/customers'), bearer(await appToken(e))), 401, '400');
  });

  it('app+user tokens without MFA get 401 with error code 900421', async () => {
    e.loadScenario('no-mfa');
    const r = await getJson(pc('/customers?size=10'), bearer(await userToken()));
    assertPcError(r, 401, '900421');
    assert.match(r.body.description, /Multi-factor authentication/);
  });

  it('a user outside AdminAgents gets 403 (not-admin-agent); adding them fixes it', async () => {
    e.loadScenario('not-admin-agent');
    assertPcError(await getJson(pc('/customers?size=10'), bearer(await userToken())), 403, '900150');
    e.patch({ op: 'addGroupMember', group: 'AdminAgents' });
    assert.equal((await getJson(pc('/customers?size=10'), bearer(await userToken()))).status, 200);
  });

  it('pc-role-missing: a service account without the Admin agent role gets 403 (900150); the role fixes it', async () => {
    e.loadScenario('pc-role-missing');
    const refused = await getJson(pc('/customers?size=10'), bearer(await userToken()));
    assertPcError(refused, 403, '900150');
    assert.match(refused.body.description, /role/);
    e.patch({ op: 'addGroupMember', group: 'AdminAgents' });
    assert.equal((await getJson(pc('/customers?size=10'), bearer(await userToken()))).status, 200);
  });

  it('a path Partner Center does not serve: 404 in Partner Center\'s shape', async () => {
    const token = await appToken(e, 'https://api.partnercenter.microsoft.com');
    for (const path of ['/customers/x/nothing-here', '/no-such-resource', '/customers/00000000-0000-4000-8000-000000000000/subscriptions']) {
      const r = await getJson(pc(path), bearer(token));
      assertPcError(r, 404, '1000');
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    }
  });

  it('app-only access is limited to the Partner Center web app', async () => {
    const totalOne = await (async () => {
      const f = e.facts;
      const r = await fetch(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://api.partnercenter.microsoft.com/.default' }) });
      return (await r.json()).access_token as string;
    })();
    assertPcError(await getJson(pc('/customers'), bearer(totalOne)), 403, '2032');
  });
});

describe('throttling and faults', () => {
  it('answers 429 with Retry-After once the per-partner budget is spent, and recovers after the wait', async () => {
    e.loadScenario('throttled');
    const token = await appToken(e, 'https://api.partnercenter.microsoft.com');
    for (let i = 0; i < 3; i++) assert.equal((await getJson(pc('/customers?size=10'), bearer(token))).status, 200);
    const throttled = await getJson(pc('/customers?size=10'), bearer(token));
    assert.equal(throttled.status, 429);
    const retryAfter = Number(throttled.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
    assert.equal(throttled.headers.get('content-type'), 'application/json');
    assert.equal(throttled.body.statusCode, 429);
    assert.match(throttled.body.message, /^Rate limit is exceeded\. Try again in \d+ seconds\.$/);
    e.advanceClock(retryAfter);
    assert.equal((await getJson(pc('/customers?size=10'), bearer(token))).status, 200);
  });

  it('enforces the documented default of 500 requests per minute', async () => {
    const token = await appToken(e, 'https://api.partnercenter.microsoft.com');
    const statuses: number[] = [];
    for (let i = 0; i < 501; i++) statuses.push((await getJson(pc('/profiles/organization'), bearer(token))).status);
    assert.equal(statuses.filter((s) => s === 200).length, 500);
    assert.equal(statuses[500], 429);
  });

  it('injects transient 503s, a page that fails once, and latency (flaky-partner-center)', async () => {
    e.loadScenario('flaky-partner-center');
    const token = await appToken(e, 'https://api.partnercenter.microsoft.com');
    assertPcError(await getJson(pc('/customers?size=100'), bearer(token)), 503, '0');
    assertPcError(await getJson(pc('/customers?size=100'), bearer(token)), 503, '0');
    const started = Date.now();
    const first = await getJson(pc('/customers?size=100'), bearer(token));
    assert.equal(first.status, 200);
    assert.ok(Date.now() - started >= 18);
    const next = { ...bearer(token), 'MS-ContinuationToken': first.body.links.next.headers[0].value };
    assertPcError(await getJson(pc(first.body.links.next.uri), next), 500, '900192');
    const retried = await getJson(pc(first.body.links.next.uri), next);
    assert.equal(retried.status, 200);
    assert.equal(retried.body.items.length, 100);
  });
});
