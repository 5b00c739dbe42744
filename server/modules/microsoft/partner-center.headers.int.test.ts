import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { completeSignIn, startEmulator, type Emulator } from '../../../emulator/index.ts';
import { createIdentityClient, type IdentityClient } from './identity.client.ts';
import { microsoftScopes } from './microsoft.credentials.ts';
import { createMicrosoftHttp } from './microsoft.http.ts';
import { createPartnerCenterClient } from './partner-center.client.ts';

// Partner Center's documented request headers, observed where Microsoft would see them: in the
// emulator's request log.
// https://learn.microsoft.com/en-us/partner-center/developer/headers
//   Authorization (required), Accept: application/json, MS-RequestId (unique per call, the same on
//   the retry of a call that timed out), MS-CorrelationId (in every operation), MS-Contract-Version
//   (required, "v1"), MS-PartnerCenter-Application (optional: the calling application's name).

const redirectUri = 'http://localhost:3000/connect/microsoft/callback';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Partner Center request headers (emulator request log)', () => {
  let emulator: Emulator;
  let identity: IdentityClient;

  async function userToken(): Promise<string> {
    const f = emulator.facts;
    const request = await identity.beginSignIn({ tenant: f.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: microsoftScopes.partnerCenterUser });
    const outcome = await completeSignIn({ authorizeUrl: request.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, consent: 'accept', totp: () => emulator.totp() });
    assert.ok(outcome.code, JSON.stringify(outcome));
    const tokens = await identity.completeSignIn({ tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: outcome.redirectUrl!, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier });
    return tokens.accessToken;
  }

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready', replyAddress: redirectUri });
    identity = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost });
  });
  after(() => emulator.close());

  const partnerCenterRequests = () => emulator.requests.filter((r) => r.service === 'partner-center');

  it('every call carries MS-Contract-Version v1, the application name, Accept JSON, the operation\u2019s MS-CorrelationId and its own MS-RequestId', async () => {
    emulator.loadScenario('ready');
    const pc = createPartnerCenterClient({ baseUrl: emulator.endpoints.partnerCenter, http: createMicrosoftHttp({ timeoutMs: 5000 }) });
    const token = await userToken();
    const operation = randomUUID();
    let continuationToken: string | undefined;
    do {
      const page = await pc.customersPage(token, { size: 100, ...(continuationToken ? { continuationToken } : {}) }, { correlationId: operation });
      continuationToken = page.continuationToken;
    } while (continuationToken);
    await pc.organizationProfile(token, { correlationId: operation });

    const logged = partnerCenterRequests();
    assert.equal(logged.length, 4, 'three pages and the profile');
    for (const request of logged) {
      const h = request.headers ?? {};
      assert.equal(h['ms-contract-version'], 'v1', request.path);
      assert.equal(h['ms-partnercenter-application'], 'TotalOne Signup');
      assert.equal(h.accept, 'application/json', 'one Accept value, not two spellings of it');
      assert.equal(h['ms-correlationid'], operation, 'one correlation id for the whole operation');
      assert.match(h['ms-requestid'] ?? '', GUID);
      assert.ok(!('authorization' in h), 'the log never holds the token');
    }
    assert.equal(new Set(logged.map((r) => r.headers?.['ms-requestid'])).size, logged.length, 'a new MS-RequestId per call');

    // Another operation: another correlation id (none given: a new one).
    await pc.organizationProfile(token);
    const other = partnerCenterRequests().at(-1)!.headers!;
    assert.match(other['ms-correlationid'] ?? '', GUID);
    assert.notEqual(other['ms-correlationid'], operation);
  });

  it('a call repeated after Microsoft did not give a usable answer keeps its MS-RequestId; the next call gets a new one', async () => {
    emulator.loadScenario('flaky-partner-center'); // the first two Partner Center calls answer 503
    const pc = createPartnerCenterClient({ baseUrl: emulator.endpoints.partnerCenter, http: createMicrosoftHttp({ timeoutMs: 5000, sleep: async () => {} }) });
    const token = await userToken();
    const first = await pc.customersPage(token, { size: 100 }, { correlationId: 'c7f1d4b6-3e5a-4f55-9a37-0d7d6c9a1e11' });
    assert.equal(first.items.length, 100);
    await pc.customersPage(token, { size: 100, continuationToken: first.continuationToken! }, { requestId: '5b0f2a9e-7c4d-4c8e-8f11-3a2b1c0d9e8f' }).catch(() => undefined);
    const logged = partnerCenterRequests();
    const [a, b, c] = logged;
    assert.deepEqual([a!.status, b!.status, c!.status], [503, 503, 200]);
    assert.equal(a!.headers!['ms-requestid'], b!.headers!['ms-requestid']);
    assert.equal(b!.headers!['ms-requestid'], c!.headers!['ms-requestid'], 'the same request id until the answer came');
    assert.equal(logged[3]!.headers!['ms-requestid'], '5b0f2a9e-7c4d-4c8e-8f11-3a2b1c0d9e8f', 'a caller repeating a request passes its id');
  });
});
