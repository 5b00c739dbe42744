// "Set up Microsoft for me": an administrator of the partner tenant consents to TotalOne's
// multi-tenant setup application, which then registers the Total One app with delegated Graph
// calls. Shapes are checked against the samples on Microsoft Learn named at each test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GRAPH_APP_ID, SETUP_CALLBACK_PATH, completeSignIn, startEmulator, type Emulator } from '../index.ts';
import { bearer, claims, getJson, pkcePair, postForm, sendJson } from './helpers.ts';
import { assertShape } from './contract/shape.ts';

const REDIRECT = `http://localhost:8765${SETUP_CALLBACK_PATH}`;
const DIRECTORY_READ_ALL_ROLE = '7ab1d382-f21e-4acd-a863-ba3e13f7da61';

let e: Emulator;
before(async () => { e = await startEmulator({ port: 0, scenario: 'setup-service-account-only' }); });
after(async () => { await e.close(); });

function user(prefix: string) {
  const u = e.scenario.tenants[0]!.users.find((x) => x.userPrincipalName.startsWith(`${prefix}@`))!;
  return u;
}

/** The setup sign-in: authorization code + PKCE for the setup app's delegated Graph scopes. */
async function setupSignIn(options: { upn?: string; consent?: 'accept' | 'accept-for-organization' | 'cancel' } = {}) {
  const app = e.setupApp!;
  const { verifier, challenge } = pkcePair();
  const scope = [...app.scopes.map((s) => `https://graph.microsoft.com/${s}`), 'openid', 'profile', 'offline_access'].join(' ');
  const url = new URL(`${e.baseUrl}/${e.facts.tenantId}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({ client_id: app.appId, response_type: 'code', redirect_uri: REDIRECT, scope, state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent' }).toString();
  const upn = options.upn ?? e.facts.serviceAccount.upn;
  const account = e.scenario.tenants[0]!.users.find((u) => u.userPrincipalName === upn)!;
  const signIn = await completeSignIn({ authorizeUrl: url.toString(), username: upn, password: account.password, totp: () => e.totp(upn), approve: true, consent: options.consent ?? 'accept-for-organization' });
  if (!signIn.code) return { signIn };
  const token = await postForm(`${e.baseUrl}/${e.facts.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'authorization_code', client_id: app.appId, client_secret: app.secret, code: signIn.code, redirect_uri: REDIRECT, code_verifier: verifier, scope,
  });
  return { signIn, token };
}

const graph = (token: string) => ({
  get: (path: string) => getJson(`${e.baseUrl}/v1.0${path}`, bearer(token)),
  send: (method: string, path: string, body: unknown) => sendJson(method, `${e.baseUrl}/v1.0${path}`, body, bearer(token)),
});

describe('the setup application (multi-tenant, delegated)', () => {
  it('a Global Administrator consents for the organization: the setup app gets a service principal in the tenant and a delegated token with its scopes', async () => {
    const { signIn, token } = await setupSignIn();
    assert.ok(signIn.code, `sign-in ended: ${signIn.error} ${signIn.errorDescription ?? signIn.pageError}`);
    assert.equal(token!.status, 200, JSON.stringify(token!.body));
    const scp = String(claims(token!.body.access_token).scp).split(' ');
    for (const s of e.setupApp!.scopes) assert.ok(scp.includes(s), `scp lacks ${s}: ${scp.join(' ')}`);
    const sp = e.scenario.tenants[0]!.servicePrincipals.find((s) => s.appId === e.setupApp!.appId);
    assert.ok(sp, 'consent created the service principal');
    assert.equal(sp.appOwnerOrganizationId, e.setupApp!.tenantId);
  });

  it('a user without an admin role cannot consent (AADSTS90094 at the reply address); declining ends with AADSTS65004', async () => {
    e.loadScenario('setup-service-account-only'); // nobody has consented yet
    const nonAdmin = await setupSignIn({ upn: user('jane.doe').userPrincipalName, consent: 'accept' });
    assert.equal(nonAdmin.signIn.code, undefined);
    assert.match(nonAdmin.signIn.errorDescription ?? '', /^AADSTS90094/);
    const declined = await setupSignIn({ consent: 'cancel' });
    assert.equal(declined.signIn.error, 'access_denied');
    assert.match(declined.signIn.errorDescription ?? '', /^AADSTS65004/);
  });

  it('registers the Total One app end to end with delegated calls, in the documented shapes', async () => {
    const { token } = await setupSignIn();
    const g = graph(token!.body.access_token);
    const f = e.facts;

    // https://learn.microsoft.com/en-us/graph/api/tenantappmanagementpolicy-get (response sample)
    const policy = await g.get('/policies/defaultAppManagementPolicy');
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    assertShape(policy.body, {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity',
      '@odata.id': 'https://graph.microsoft.com/v2/927c6607-8060-4f4a-a5f8-34964ac78d70/defaultAppManagementPolicy/00000000-0000-0000-0000-000000000000',
      id: '00000000-0000-0000-0000-000000000000', displayName: 'Default app management tenant policy', description: 'Default tenant policy',
      isEnabled: false, applicationRestrictions: { passwordCredentials: [], keyCredentials: [] }, servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
    });
    assert.equal(policy.body.isEnabled, false);

    // https://learn.microsoft.com/en-us/graph/api/authentication-list-methods (response sample: @odata.type, id per method)
    const methods = await g.get(`/users/${f.serviceAccount.id}/authentication/methods`);
    assert.equal(methods.status, 200, JSON.stringify(methods.body));
    assertShape(methods.body, { value: [{ '@odata.type': '#microsoft.graph.fido2AuthenticationMethod', id: '-2_GRUg2-HYz6_1YG4YRAQ2' }] });
    assert.deepEqual(methods.body.value.map((m: { '@odata.type': string }) => m['@odata.type']), ['#microsoft.graph.passwordAuthenticationMethod', '#microsoft.graph.softwareOathAuthenticationMethod']);

    // https://learn.microsoft.com/en-us/graph/api/application-post-applications: 201 with the application.
    const created = await g.send('POST', '/applications', { displayName: 'Total One App', signInAudience: 'AzureADMyOrg' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assertShape(created.body, { '@odata.context': 'x', id: 'x', appId: 'x', displayName: 'x', signInAudience: 'x', requiredResourceAccess: [], web: { redirectUris: [] }, passwordCredentials: [] });

    // https://learn.microsoft.com/en-us/graph/api/application-list-owners: the creating user owns the app.
    const owners = await g.get(`/applications/${created.body.id}/owners`);
    assert.equal(owners.status, 200);
    assertShape(owners.body, { '@odata.context': 'x', value: [{ '@odata.type': '#microsoft.graph.user', id: 'x' }] });
    assert.deepEqual(owners.body.value.map((o: { id: string }) => o.id), [f.serviceAccount.id]);

    // https://learn.microsoft.com/en-us/graph/api/application-update: 204 No Content, properties replaced whole.
    const patched = await g.send('PATCH', `/applications/${created.body.id}`, {
      requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: DIRECTORY_READ_ALL_ROLE, type: 'Role' }] }],
    });
    assert.equal(patched.status, 204, JSON.stringify(patched.body));
    const refused = await g.send('PATCH', `/applications/${created.body.id}`, { passwordCredentials: [] });
    assert.equal(refused.status, 400);
    const read = await g.get(`/applications/${created.body.id}?$select=requiredResourceAccess`);
    assert.deepEqual(read.body.requiredResourceAccess[0].resourceAccess, [{ id: DIRECTORY_READ_ALL_ROLE, type: 'Role' }]);

    // https://learn.microsoft.com/en-us/graph/api/application-addpassword: the secret text once, in the passwordCredential shape.
    const secret = await g.send('POST', `/applications/${created.body.id}/addPassword`, { passwordCredential: { displayName: 'TotalOne Signup', endDateTime: new Date(e.now().getTime() + 700 * 86_400_000).toISOString() } });
    assert.equal(secret.status, 200, JSON.stringify(secret.body));
    assertShape(secret.body, { customKeyIdentifier: null, displayName: 'x', endDateTime: 'x', hint: 'x', keyId: 'x', secretText: 'x', startDateTime: 'x' });

    // https://learn.microsoft.com/en-us/graph/api/application-removepassword?view=graph-rest-1.0:
    // POST { keyId }, 204 No Content; the secret is gone from passwordCredentials (what deleting it in Entra does).
    const spare = await g.send('POST', `/applications/${created.body.id}/addPassword`, { passwordCredential: { displayName: 'spare' } });
    const removed = await g.send('POST', `/applications/${created.body.id}/removePassword`, { keyId: spare.body.keyId });
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    assert.equal(removed.body, undefined);
    const left = await g.get(`/applications/${created.body.id}?$select=passwordCredentials`);
    assert.deepEqual(left.body.passwordCredentials.map((c: { keyId: string }) => c.keyId), [secret.body.keyId]);

    // https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals
    const sp = await g.send('POST', '/servicePrincipals', { appId: created.body.appId });
    assert.equal(sp.status, 201, JSON.stringify(sp.body));
    const graphSp = await g.get(`/servicePrincipals(appId='${GRAPH_APP_ID}')?$select=id`);

    // https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto (201, appRoleAssignment)
    const assigned = await g.send('POST', `/servicePrincipals/${graphSp.body.id}/appRoleAssignedTo`, { principalId: sp.body.id, resourceId: graphSp.body.id, appRoleId: DIRECTORY_READ_ALL_ROLE });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    assertShape(assigned.body, { id: 'x', appRoleId: 'x', principalId: 'x', principalDisplayName: 'x', principalType: 'x', resourceId: 'x', resourceDisplayName: 'x' });

    // https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post (201)
    const grant = await g.send('POST', '/oauth2PermissionGrants', { clientId: sp.body.id, consentType: 'AllPrincipals', resourceId: graphSp.body.id, scope: 'User.Read' });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    assertShape(grant.body, { clientId: 'x', consentType: 'x', id: 'x', principalId: null, resourceId: 'x', scope: 'x' });

    // https://learn.microsoft.com/en-us/graph/api/group-post-members (204)
    const member = await g.send('POST', `/groups/${f.adminAgentsGroupId}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${sp.body.id}` });
    assert.equal(member.status, 204, JSON.stringify(member.body));

    // The new app's own client credentials work and carry the granted role.
    const appToken = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: created.body.appId, client_secret: secret.body.secretText, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(appToken.status, 200, JSON.stringify(appToken.body));
    assert.deepEqual(claims(appToken.body.access_token).roles, ['Directory.Read.All']);
  });

  it('a delegated caller without an admin role cannot grant app roles or tenant-wide consent (403 Authorization_RequestDenied)', async () => {
    // Consent is given once by the admin; jane.doe then signs in without a consent page.
    const admin = await setupSignIn();
    const jane = await setupSignIn({ upn: user('jane.doe').userPrincipalName, consent: 'accept' });
    assert.ok(admin.token && jane.token, JSON.stringify(jane.signIn));
    const g = graph(jane.token!.body.access_token);
    const graphSp = await g.get(`/servicePrincipals(appId='${GRAPH_APP_ID}')?$select=id`);
    const setupSp = e.scenario.tenants[0]!.servicePrincipals.find((s) => s.appId === e.setupApp!.appId)!;
    const assigned = await g.send('POST', `/servicePrincipals/${graphSp.body.id}/appRoleAssignedTo`, { principalId: setupSp.id, resourceId: graphSp.body.id, appRoleId: DIRECTORY_READ_ALL_ROLE });
    assert.equal(assigned.status, 403);
    assert.equal(assigned.body.error.code, 'Authorization_RequestDenied');
  });
});

describe('setup refusal scenarios', () => {
  it('setup-secrets-blocked: the policy lists passwordAddition and addPassword is refused', async () => {
    e.loadScenario('setup-secrets-blocked');
    const { token } = await setupSignIn();
    const g = graph(token!.body.access_token);
    const policy = await g.get('/policies/defaultAppManagementPolicy');
    assert.equal(policy.body.isEnabled, true);
    // https://learn.microsoft.com/en-us/graph/api/resources/passwordcredentialconfiguration
    assertShape(policy.body.applicationRestrictions.passwordCredentials[0], { restrictionType: 'passwordAddition', state: 'enabled', maxLifetime: null, restrictForAppsCreatedAfterDateTime: '2019-01-01T10:37:00Z' });
    const app = await g.send('POST', '/applications', { displayName: 'Total One App' });
    const secret = await g.send('POST', `/applications/${app.body.id}/addPassword`, { passwordCredential: { displayName: 'x' } });
    assert.equal(secret.status, 400);
    assert.match(secret.body.error.message, /not allowed as per assigned policy/);
  });

  it('setup-secret-lifetime-capped: a secret beyond P90D is refused, one within it is created', async () => {
    e.loadScenario('setup-secret-lifetime-capped');
    const { token } = await setupSignIn();
    const g = graph(token!.body.access_token);
    const policy = await g.get('/policies/defaultAppManagementPolicy');
    assert.equal(policy.body.applicationRestrictions.passwordCredentials[0].maxLifetime, 'P90D');
    const app = await g.send('POST', '/applications', { displayName: 'Total One App' });
    const day = 86_400_000;
    const long = await g.send('POST', `/applications/${app.body.id}/addPassword`, { passwordCredential: { endDateTime: new Date(e.now().getTime() + 200 * day).toISOString() } });
    assert.equal(long.status, 400);
    assert.match(long.body.error.message, /lifetime exceeds/);
    const short = await g.send('POST', `/applications/${app.body.id}/addPassword`, { passwordCredential: { endDateTime: new Date(e.now().getTime() + 89 * day).toISOString() } });
    assert.equal(short.status, 200);
  });

  it('setup-name-taken: an app named "Total One App" exists, owned by jane.doe', async () => {
    e.loadScenario('setup-name-taken');
    const { token } = await setupSignIn();
    const g = graph(token!.body.access_token);
    const found = await g.get(`/applications?$filter=displayName eq 'Total One App'`);
    assert.equal(found.body.value.length, 1);
    const owners = await g.get(`/applications/${found.body.value[0].id}/owners`);
    assert.deepEqual(owners.body.value.map((o: { userPrincipalName: string }) => o.userPrincipalName), [user('jane.doe').userPrincipalName]);
  });
});
