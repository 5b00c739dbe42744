import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeSignIn, startEmulator, type Emulator } from '../../../emulator/index.ts';
import { UnavailableError } from '../../lib/errors.ts';
import { createIdentityClient, type IdentityClient } from './identity.client.ts';
import { createMicrosoftHttp } from './microsoft.http.ts';
import { PartnerCenterError, createPartnerCenterClient, type PcCustomer } from './partner-center.client.ts';

const redirectUri = 'http://localhost:3000/connect/microsoft/callback';
const pcScope = 'https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile';

describe('Partner Center client against the emulator', () => {
  let emulator: Emulator;
  let identity: IdentityClient;
  const waits: number[] = [];

  /** The service account's app+user token, signed in through the emulator's pages (with MFA when it has a method). */
  async function userToken(): Promise<string> {
    const f = emulator.facts;
    const request = await identity.beginSignIn({ tenant: f.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope });
    const outcome = await completeSignIn({
      authorizeUrl: request.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, consent: 'accept',
      ...(f.serviceAccount.mfa === 'totp' ? { totp: () => emulator.totp() } : {}),
    });
    assert.ok(outcome.code, JSON.stringify(outcome));
    const tokens = await identity.completeSignIn({ tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: outcome.redirectUrl!, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier });
    return tokens.accessToken;
  }

  function client(options: { sleep?: (ms: number) => Promise<void>; maxAttempts?: number } = {}) {
    return createPartnerCenterClient({ baseUrl: emulator.endpoints.partnerCenter, http: createMicrosoftHttp({ timeoutMs: 5000, ...options }) });
  }

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready', replyAddress: redirectUri });
    identity = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost });
  });
  after(() => emulator.close());

  it('pages through 250 customers with size 100: 3 pages via the continuation token, no duplicates', async () => {
    emulator.loadScenario('ready');
    const pc = client();
    const token = await userToken();
    const sizes: number[] = [];
    const all: PcCustomer[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await pc.customersPage(token, { size: 100, ...(continuationToken ? { continuationToken } : {}) });
      sizes.push(page.items.length);
      assert.equal(page.totalCount, page.items.length);
      all.push(...page.items);
      continuationToken = page.continuationToken;
    } while (continuationToken);
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.equal(new Set(all.map((c) => c.id)).size, 250);
    assert.ok(all.every((c) => c.companyProfile.tenantId && c.companyProfile.domain && c.companyProfile.companyName));
    const next = emulator.requests.filter((r) => r.service === 'partner-center' && r.path.includes('seekOperation=Next'));
    assert.equal(next.length, 2);

    assert.equal((await pc.customer(token, all[7]!.id))?.companyProfile.companyName, all[7]!.companyProfile.companyName);
    assert.equal(await pc.customer(token, '00000000-0000-4000-8000-00000000dead'), null);
    const profile = await pc.organizationProfile(token);
    assert.equal(profile.tenantId, emulator.facts.tenantId);
  });

  it('waits out 429 Retry-After on the throttled scenario and finishes the list', async () => {
    emulator.loadScenario('throttled');
    waits.length = 0;
    // The emulator's window is 2 s; real waiting keeps the test honest (a few seconds at most).
    const pc = client({ sleep: (ms) => { waits.push(ms); return new Promise((resolve) => setTimeout(resolve, ms)); } });
    const token = await userToken();
    let pages = 0;
    let continuationToken: string | undefined;
    do {
      const page = await pc.customersPage(token, { size: 50, ...(continuationToken ? { continuationToken } : {}) });
      pages += 1;
      continuationToken = page.continuationToken;
    } while (continuationToken);
    assert.equal(pages, 5);
    assert.ok(waits.length >= 1, 'at least one 429 was waited out');
    assert.ok(waits.every((ms) => ms >= 1000 && ms <= 2000), `waits follow Retry-After (1-2 s): ${waits.join(', ')}`);
    assert.ok(emulator.events.some((e) => e.type === 'partner_center.throttled'));
  });

  it('hands a 429 back as PartnerCenterError (503 for us, with Retry-After) when the attempts run out', async () => {
    emulator.loadScenario('throttled');
    const pc = client({ sleep: async () => {}, maxAttempts: 2 });
    const token = await userToken();
    await assert.rejects(async () => {
      for (let i = 0; i < 10; i++) await pc.customersPage(token, { size: 1 });
    }, (error: unknown) => {
      assert.ok(error instanceof PartnerCenterError);
      assert.equal(error.partnerCenterStatus, 429);
      assert.equal(error.status, 503);
      assert.ok(Number(error.details.retryAfterSeconds) >= 1);
      assert.match(error.message, /limiting how fast/);
      return true;
    });
  });

  it('refuses a sign-in without MFA with 900421 and the fix', async () => {
    emulator.loadScenario('no-mfa');
    const pc = client();
    await assert.rejects(pc.customersPage(await userToken(), { size: 10 }), (error: unknown) => {
      assert.ok(error instanceof PartnerCenterError);
      assert.equal(error.partnerCenterStatus, 401);
      assert.equal(error.partnerCenterCode, '900421', 'Partner Center sends its codes as strings');
      assert.equal(error.code, 'MICROSOFT_PARTNER_CENTER_900421');
      assert.match(error.fix!, /Conditional Access/);
      return true;
    });
  });

  it('refuses a service account without Admin Agent with 403 and the Partner Center path', async () => {
    emulator.loadScenario('not-admin-agent');
    await assert.rejects(client().customersPage(await userToken(), { size: 10 }), (error: unknown) => {
      assert.ok(error instanceof PartnerCenterError);
      assert.equal(error.partnerCenterStatus, 403);
      assert.match(error.message, /Account settings > User management/);
      return true;
    });
  });

  it('retries the flaky scenario\u2019s 503s and the page that fails once with 500 is reported', async () => {
    emulator.loadScenario('flaky-partner-center');
    const token = await userToken();
    const pc = client({ sleep: async () => {} });
    const first = await pc.customersPage(token, { size: 100 });
    assert.equal(first.items.length, 100, 'two 503s were retried');
    // Page 1 fails once with 500, which is not a retryable status: the caller (sync job) retries.
    await assert.rejects(pc.customersPage(token, { size: 100, continuationToken: first.continuationToken! }), (e: unknown) => e instanceof PartnerCenterError && e.partnerCenterStatus === 500 && e.status === 503);
    assert.equal((await pc.customersPage(token, { size: 100, continuationToken: first.continuationToken! })).items.length, 100);
  });

  it('unreachable Partner Center -> UnavailableError', async () => {
    const pc = createPartnerCenterClient({ baseUrl: 'http://127.0.0.1:1/v1', http: createMicrosoftHttp({ timeoutMs: 500, maxAttempts: 2, sleep: async () => {} }) });
    await assert.rejects(pc.organizationProfile('t'), (e: unknown) => e instanceof UnavailableError && e.code === 'MICROSOFT_UNREACHABLE');
  });
});
