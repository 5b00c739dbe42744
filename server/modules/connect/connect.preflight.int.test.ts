import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeSignIn, startEmulator, type Emulator, type PatchOperation } from '../../../emulator/index.ts';
import { createGraphClient } from '../microsoft/graph.client.ts';
import { createIdentityClient, type IdentityClient } from '../microsoft/identity.client.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import { createMicrosoftHttp } from '../microsoft/microsoft.http.ts';
import { createPartnerCenterClient } from '../microsoft/partner-center.client.ts';
import { createPreflight, type PreflightCheck, type PreflightCheckId, type PreflightInput, type PreflightResult } from './connect.preflight.ts';

// Contract tests of the preflight against the emulator: each broken setup shows the right check
// with its fix, and fixing the setup in "Microsoft" (a patch) and running again turns it green.

const redirectUri = 'http://localhost:3000/connect/microsoft/callback';
const pcScope = 'https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('preflight against the emulator', () => {
  let emulator: Emulator;
  let identity: IdentityClient;
  let preflight: ReturnType<typeof createPreflight>;
  let lastRefreshToken: string | undefined;

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready', replyAddress: redirectUri });
    identity = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost });
    const http = createMicrosoftHttp({ timeoutMs: 5000, sleep: async () => {} });
    preflight = createPreflight({
      graph: createGraphClient({ graphUrl: emulator.endpoints.graph, http }),
      partnerCenter: createPartnerCenterClient({ baseUrl: emulator.endpoints.partnerCenter, http }),
      now: () => emulator.now(),
    });
  });
  after(() => emulator.close());

  /** What the wizard holds after steps 2-4: the Graph app token (or Microsoft's refusal) and the MFA sign-in. */
  async function wizardState(enteredSecret = emulator.facts.totalOneApp.secret!): Promise<PreflightInput> {
    const f = emulator.facts;
    // The wizard trims what was pasted (step 3), then uses the secret and passes only its hint on.
    const entraSecret = enteredSecret.trim();
    let graph: Pick<PreflightInput, 'graphAppToken' | 'graphAppTokenRefusal'>;
    try {
      const tokens = await identity.clientCredentials({ tenant: f.tenantId, clientId: f.totalOneApp.appId, clientSecret: entraSecret, scope: 'https://graph.microsoft.com/.default', context: 'Entra app' });
      graph = { graphAppToken: tokens.accessToken };
    } catch (error) {
      if (!(error instanceof MicrosoftIdentityError)) throw error;
      graph = { graphAppToken: null, graphAppTokenRefusal: { ...(error.aadsts ? { aadsts: error.aadsts } : {}), message: error.message } };
    }
    const request = await identity.beginSignIn({ tenant: f.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope });
    const outcome = await completeSignIn({
      authorizeUrl: request.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, consent: 'accept',
      ...(f.serviceAccount.mfa === 'totp' ? { totp: () => emulator.totp() } : {}),
    });
    assert.ok(outcome.code, JSON.stringify(outcome));
    const user = await identity.completeSignIn({ tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: outcome.redirectUrl!, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier });
    lastRefreshToken = user.refreshToken;
    return {
      ...graph,
      partnerCenterUserToken: user.accessToken,
      partnerCenterUserClaims: user.accessClaims,
      serviceAccountObjectId: String(user.accessClaims.oid),
      entraAppId: f.totalOneApp.appId,
      partnerCenterWebAppId: f.partnerCenter.webAppId,
      entraSecretHint: entraSecret.slice(0, 3),
      partnerCenterSecretHint: f.partnerCenter.webAppSecret!.slice(0, 3),
    };
  }

  function check(result: PreflightResult, id: PreflightCheckId): PreflightCheck {
    const found = result.checks.find((c) => c.id === id);
    assert.ok(found, id);
    return found;
  }

  function assertGreen(result: PreflightResult) {
    const notPassed = result.checks.filter((c) => c.required && c.status !== 'passed');
    assert.deepEqual(notPassed, [], 'every required check passed');
    assert.equal(result.allRequiredPassed, true);
  }

  /** Load the scenario, run the preflight, check what broke; fix it, run again, expect green. */
  async function brokenThenFixed(options: {
    scenario: string;
    /** Changes to the scenario before the first run. */
    setup?: PatchOperation[];
    expect: Array<{ id: PreflightCheckId; status: PreflightCheck['status']; found?: RegExp; fix?: RegExp }>;
    fix: PatchOperation[];
    /** Whether the fix needs fresh tokens (new consent, new MFA sign-in, new secret). */
    renew?: (input: PreflightInput) => Promise<PreflightInput>;
  }) {
    emulator.loadScenario(options.scenario);
    if (options.setup) emulator.patch(...options.setup);
    const input = await wizardState();
    const broken = await preflight.gather(input);
    for (const e of options.expect) {
      const c = check(broken, e.id);
      assert.equal(c.status, e.status, `${options.scenario}: ${e.id} is ${c.status} (${c.found})`);
      if (e.found) assert.match(c.found, e.found, `${options.scenario}: ${e.id} found`);
      if (e.fix) assert.match(c.fix ?? '', e.fix, `${options.scenario}: ${e.id} fix`);
      if (c.status !== 'passed') assert.ok(c.fix, `${options.scenario}: ${e.id} has a fix`);
    }
    if (options.expect.some((e) => e.status === 'failed' || e.status === 'unknown')) assert.equal(broken.allRequiredPassed, false);
    emulator.patch(...options.fix);
    const fixed = await preflight.gather(options.renew ? await options.renew(input) : input);
    assertGreen(fixed);
    return { broken, fixed };
  }

  it('ready: every required check passes; Incentives Administrator is unknown and optional', async () => {
    emulator.loadScenario('ready');
    const input = await wizardState();
    const result = await preflight.gather(input);
    assertGreen(result);
    assert.equal(result.checks.length, 11);
    assert.equal(check(result, 'gdap_permission').status, 'passed');
    const roles = check(result, 'service_account_partner_center_roles');
    assert.equal(roles.status, 'unknown');
    assert.equal(roles.required, false);
    assert.match(roles.found, /Admin Agent: confirmed/);
    const serialized = JSON.stringify(result);
    for (const secret of [emulator.facts.totalOneApp.secret!, emulator.facts.partnerCenter.webAppSecret!, input.partnerCenterUserToken!, input.graphAppToken!]) {
      assert.ok(!serialized.includes(secret), 'no secret or token in the checklist');
    }
  });

  it('no-mfa: MFA and Partner Center fail (900421); after enforcing MFA and signing in again, green', async () => {
    await brokenThenFixed({
      scenario: 'no-mfa',
      expect: [
        { id: 'mfa_performed', status: 'failed', found: /only: pwd/, fix: /Conditional Access/ },
        { id: 'partner_center_api', status: 'failed', found: /900421/, fix: /MFA/ },
        { id: 'service_account_partner_center_roles', status: 'unknown' },
        { id: 'service_account_global_admin', status: 'passed' },
      ],
      fix: [{ op: 'setMfa', method: 'totp', secret: TOTP_SECRET }, { op: 'setConditionalAccess', requireMfa: true }],
      renew: () => wizardState(),
    });
  });

  it('not-global-admin: the Global Administrator check fails; assigning the role turns it green', async () => {
    await brokenThenFixed({
      scenario: 'not-global-admin',
      expect: [{ id: 'service_account_global_admin', status: 'failed', fix: /Microsoft 365 admin center .*Manage roles/ }],
      fix: [{ op: 'assignDirectoryRole', role: 'Global Administrator' }],
    });
  });

  it('not-admin-agent: AdminAgents membership and Partner Center fail; adding the account turns it green', async () => {
    await brokenThenFixed({
      scenario: 'not-admin-agent',
      expect: [
        { id: 'service_account_in_admin_agents', status: 'failed', fix: /Admin agent/ },
        { id: 'partner_center_api', status: 'failed', found: /403/, fix: /User management/ },
        { id: 'service_account_partner_center_roles', status: 'failed' },
      ],
      fix: [{ op: 'addGroupMember', group: 'AdminAgents' }],
    });
  });

  it('missing-graph-permission: names RoleManagement.ReadWrite.Directory as not requested; granting it turns it green', async () => {
    await brokenThenFixed({
      scenario: 'missing-graph-permission',
      expect: [{
        id: 'graph_application_permissions', status: 'failed',
        found: /Missing: RoleManagement\.ReadWrite\.Directory \(not requested\)/,
        fix: /Application permissions, add RoleManagement\.ReadWrite\.Directory/,
      }],
      fix: [{ op: 'grantAppPermission', permission: 'RoleManagement.ReadWrite.Directory' }],
    });
  });

  it('no-admin-consent: permissions fail (from the token), Graph reads become unknown; consent + a new token turn it green', async () => {
    const { broken } = await brokenThenFixed({
      scenario: 'no-admin-consent',
      expect: [
        { id: 'graph_application_permissions', status: 'failed', found: /Missing: Directory\.ReadWrite\.All.*access token/, fix: /Grant admin consent/ },
        { id: 'delegated_user_read_consented', status: 'unknown', found: /Authorization_RequestDenied/ },
        { id: 'app_in_admin_agents', status: 'unknown' },
        { id: 'entra_secret', status: 'unknown' },
      ],
      fix: [{ op: 'grantAdminConsent' }],
      renew: async (input) => ({ ...input, ...(await wizardState()) }),
    });
    assert.equal(broken.allRequiredPassed, false);
  });

  it('app-not-in-adminagents: a legacy warning that blocks nothing (under GDAP the membership grants nothing); adding it turns it green', async () => {
    const { broken } = await brokenThenFixed({
      scenario: 'app-not-in-adminagents',
      expect: [
        { id: 'app_in_admin_agents', status: 'warning', found: /grants nothing in your customers/, fix: /AdminAgents > Members > Add members, search for "Total One App"/ },
        { id: 'service_account_in_admin_agents', status: 'passed' },
      ],
      fix: [{ op: 'addGroupMember', group: 'AdminAgents', appId: emulator.facts.totalOneApp.appId }],
    });
    assert.equal(broken.allRequiredPassed, true);
  });

  it('without DelegatedAdminRelationship.Read.All: a warning with the fix, not blocking; granting it turns it green', async () => {
    const { broken, fixed } = await brokenThenFixed({
      scenario: 'ready',
      setup: [{ op: 'revokeAppPermission', permission: 'DelegatedAdminRelationship.Read.All' }],
      expect: [{ id: 'gdap_permission', status: 'warning', found: /requested but has no admin consent.*imported all the same/, fix: /Grant admin consent/ }],
      fix: [{ op: 'grantAppPermission', permission: 'DelegatedAdminRelationship.Read.All' }],
      renew: async (input) => ({ ...input, ...(await wizardState()) }),
    });
    assert.equal(broken.allRequiredPassed, true);
    assert.equal(check(fixed, 'gdap_permission').status, 'passed');
  });

  it('expired-secret: Microsoft refuses the secret (AADSTS7000222); a new secret turns it green', async () => {
    emulator.loadScenario('expired-secret');
    const input = await wizardState();
    assert.equal(input.graphAppToken, null);
    const broken = await preflight.gather(input);
    const secret = check(broken, 'entra_secret');
    assert.equal(secret.status, 'failed');
    assert.match(secret.found, /expired/);
    assert.match(secret.fix!, /Certificates & secrets > New client secret/);
    assert.equal(check(broken, 'graph_application_permissions').status, 'unknown');
    assert.match(check(broken, 'app_in_admin_agents').found, /no Microsoft Graph token/);
    assert.equal(check(broken, 'partner_center_api').status, 'passed', 'Partner Center does not depend on the Entra app');
    assert.equal(broken.allRequiredPassed, false);

    const [created] = emulator.patch({ op: 'addClientSecret', displayName: 'Renewed' });
    assertGreen(await preflight.gather(await wizardState(`  ${created!.secret!.secretText}\n`)));
  });

  it('secret-expiring-soon: a warning that still allows continuing; a new secret clears it', async () => {
    emulator.loadScenario('secret-expiring-soon');
    const soon = await preflight.gather(await wizardState());
    const secret = check(soon, 'entra_secret');
    assert.equal(secret.status, 'warning');
    assert.match(secret.found, /in 1[34] day/);
    assert.match(secret.fix!, /New client secret/);
    assert.equal(soon.allRequiredPassed, true, 'a warning counts as passed');

    const [created] = emulator.patch({ op: 'addClientSecret', displayName: 'Renewed' });
    const renewed = await preflight.gather(await wizardState(created!.secret!.secretText));
    assertGreen(renewed);
    assert.equal(check(renewed, 'entra_secret').status, 'passed');
  });

  it('the Partner Center secret is checked the same way', async () => {
    emulator.loadScenario('ready');
    const input = await wizardState();
    const result = await preflight.gather({ ...input, partnerCenterSecretHint: '#?!' });
    const c = check(result, 'partner_center_secret');
    assert.equal(c.status, 'failed');
    assert.match(c.fix!, /App management > Web app > Add key/);
    emulator.patch({ op: 'setSecretExpiry', appId: emulator.facts.partnerCenter.webAppId, endDateTime: new Date(emulator.now().getTime() + 5 * 86_400_000).toISOString() });
    assert.equal(check(await preflight.gather(input), 'partner_center_secret').status, 'warning');
  });

  it('a sign-in Microsoft will not renew (password changed: AADSTS50173) is a finding with "sign in again"', async () => {
    emulator.loadScenario('ready');
    const f = emulator.facts;
    const input = await wizardState();
    emulator.patch({ op: 'changePassword', password: 'N3w#Passw0rd-2026' });
    const refreshToken = lastRefreshToken!;
    const refusal = await identity
      .refresh({ tenantId: f.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, refreshToken, scope: 'https://api.partnercenter.microsoft.com/user_impersonation offline_access', context: 'Partner Center sign-in' })
      .then(() => assert.fail('the refresh should be refused'), (error: unknown) => {
        assert.ok(error instanceof MicrosoftIdentityError);
        return { aadsts: error.aadsts!, message: error.message };
      });
    assert.equal(refusal.aadsts, 50173);
    const result = await preflight.gather({ ...input, partnerCenterUserToken: null, partnerCenterTokenRefusal: refusal });
    const pc = check(result, 'partner_center_api');
    assert.equal(pc.status, 'failed');
    assert.match(pc.found, /AADSTS50173/);
    assert.match(pc.fix!, /Sign in again/);
    assert.equal(check(result, 'mfa_performed').status, 'unknown');
    assert.equal(check(result, 'graph_application_permissions').status, 'passed', 'the Graph side is still checked');
    assert.equal(result.allRequiredPassed, false);
  });

  it('Microsoft not answering makes the checks unknown, never a crash', async () => {
    emulator.loadScenario('ready');
    const input = await wizardState();
    const http = createMicrosoftHttp({ timeoutMs: 500, maxAttempts: 2, sleep: async () => {} });
    const offline = createPreflight({
      graph: createGraphClient({ graphUrl: 'http://127.0.0.1:1/v1.0', http }),
      partnerCenter: createPartnerCenterClient({ baseUrl: 'http://127.0.0.1:1/v1', http }),
    });
    const result = await offline.gather(input);
    assert.equal(result.allRequiredPassed, false);
    for (const id of ['service_account_in_admin_agents', 'delegated_user_read_consented', 'app_in_admin_agents', 'entra_secret', 'partner_center_secret', 'partner_center_api'] as const) {
      const c = check(result, id);
      assert.equal(c.status, 'unknown', id);
      assert.match(c.found, /did not answer/, id);
    }
    assert.equal(check(result, 'mfa_performed').status, 'passed', 'MFA comes from the sign-in itself');
  });
});
