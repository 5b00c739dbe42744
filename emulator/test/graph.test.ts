// Contract tests of the Microsoft Graph v1.0 subset: shapes, permission checks, OData options, paging.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APP_ID, startEmulator, type Emulator } from '../index.ts';
import { REDIRECT_URI, appToken, bearer, claims, getJson, loadScenarioSigningInToTotalOneApp, postForm, sendJson, signInServiceAccount } from './helpers.ts';

let e: Emulator;
const graph = (path: string) => `${e.baseUrl}/v1.0${path}`;

before(async () => { e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });
beforeEach(() => loadScenarioSigningInToTotalOneApp(e, 'ready'));

async function delegatedToken(): Promise<string> {
  const { token } = await signInServiceAccount(e, { clientId: e.facts.totalOneApp.appId, secret: e.facts.totalOneApp.secret!, scope: 'User.Read openid profile offline_access' });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  assert.equal(token.body.scope.split(' ')[0], 'User.Read', 'Graph scopes come back bare');
  return token.body.access_token;
}

function assertODataError(r: { status: number; body: any; headers: Headers }, status: number, code: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.error.message, 'string');
  assert.equal(typeof r.body.error.innerError.date, 'string');
  assert.equal(r.body.error.innerError['request-id'], r.headers.get('request-id'));
  assert.equal(typeof r.body.error.innerError['client-request-id'], 'string');
}

describe('authentication and permissions', () => {
  it('answers 401 InvalidAuthenticationToken for missing, wrong-audience and expired tokens', async () => {
    const missing = await getJson(graph('/organization'));
    assertODataError(missing, 401, 'InvalidAuthenticationToken');
    assert.match(missing.headers.get('www-authenticate')!, /^Bearer /);
    const pcToken = await appToken(e, 'https://api.partnercenter.microsoft.com');
    const wrongAudience = await getJson(graph('/organization'), bearer(pcToken));
    assertODataError(wrongAudience, 401, 'InvalidAuthenticationToken');
    assert.match(wrongAudience.body.error.message, /Invalid audience/);
    const token = await appToken(e);
    // Accepted first, so its signature was checked and kept: its lifetime is still checked later.
    assert.equal((await getJson(graph('/organization'), bearer(token))).status, 200);
    e.advanceClock(2 * 3600);
    const expired = await getJson(graph('/organization'), bearer(token));
    assertODataError(expired, 401, 'InvalidAuthenticationToken');
    assert.match(expired.body.error.message, /expired/);
  });

  it('answers 403 Authorization_RequestDenied when the token lacks the permission, echoing client-request-id', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'no-admin-consent');
    const token = await appToken(e);
    assert.equal(claims(token).roles, undefined);
    const r = await getJson(graph("/groups?$filter=displayName eq 'AdminAgents'"), { ...bearer(token), 'client-request-id': 'abc-123' });
    assertODataError(r, 403, 'Authorization_RequestDenied');
    assert.equal(r.body.error.message, 'Insufficient privileges to complete the operation.');
    assert.equal(r.body.error.innerError['client-request-id'], 'abc-123');
    assert.equal(r.headers.get('client-request-id'), 'abc-123');
  });

  it('/me needs a user: 400 with an app token', async () => {
    const r = await getJson(graph('/me'), bearer(await appToken(e)));
    assertODataError(r, 400, 'BadRequest');
  });
});

describe('users, organization and memberships', () => {
  it('GET /me with delegated User.Read, with $select', async () => {
    const token = await delegatedToken();
    const me = await getJson(graph('/me'), bearer(token));
    assert.equal(me.status, 200);
    assert.equal(me.body['@odata.context'], `${e.baseUrl}/v1.0/$metadata#users/$entity`);
    assert.equal(me.body.userPrincipalName, e.facts.serviceAccount.upn);
    assert.equal(me.body.id, e.facts.serviceAccount.id);
    assert.equal(me.body.accountEnabled, undefined, 'not in the default property set');
    const selected = await getJson(graph('/me?$select=id,displayName,accountEnabled'), bearer(token));
    assert.deepEqual(Object.keys(selected.body).sort(), ['@odata.context', 'accountEnabled', 'displayName', 'id']);
    assert.equal(selected.body.accountEnabled, true);
  });

  it('/me/memberOf and /me/transitiveMemberOf list the Global Administrator role and AdminAgents', async () => {
    const token = await delegatedToken();
    for (const kind of ['memberOf', 'transitiveMemberOf']) {
      const r = await getJson(graph(`/me/${kind}`), bearer(token));
      assert.equal(r.status, 200);
      const role = r.body.value.find((o: any) => o['@odata.type'] === '#microsoft.graph.directoryRole');
      assert.equal(role.roleTemplateId, GLOBAL_ADMIN_ROLE_TEMPLATE_ID);
      assert.equal(role.displayName, 'Global Administrator');
      assert.ok(r.body.value.some((o: any) => o['@odata.type'] === '#microsoft.graph.group' && o.displayName === 'AdminAgents'));
    }
  });

  it('/users/{id}/transitiveMemberOf with an app token; not-global-admin lacks the role', async () => {
    const path = `/users/${e.facts.serviceAccount.id}/transitiveMemberOf`;
    const ready = await getJson(graph(path), bearer(await appToken(e)));
    assert.ok(ready.body.value.some((o: any) => o.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID));
    loadScenarioSigningInToTotalOneApp(e, 'not-global-admin');
    const notAdmin = await getJson(graph(path), bearer(await appToken(e)));
    assert.equal(notAdmin.status, 200);
    assert.ok(!notAdmin.body.value.some((o: any) => o.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID));
    const byUpn = await getJson(graph(`/users/${e.facts.serviceAccount.upn}`), bearer(await appToken(e)));
    assert.equal(byUpn.body.id, e.facts.serviceAccount.id);
    const unknown = await getJson(graph('/users/00000000-0000-4000-8000-000000000000'), bearer(await appToken(e)));
    assertODataError(unknown, 404, 'Request_ResourceNotFound');
  });

  it('/organization lists the tenant with its verified domains', async () => {
    const r = await getJson(graph('/organization'), bearer(await appToken(e)));
    assert.equal(r.status, 200);
    assert.equal(r.body.value.length, 1);
    assert.equal(r.body.value[0].id, e.facts.tenantId);
    assert.deepEqual(r.body.value[0].verifiedDomains.find((d: any) => d.isInitial).name, e.facts.domain);
  });
});

describe('groups', () => {
  it('filters by displayName and rejects unsupported filters', async () => {
    const token = await appToken(e);
    const r = await getJson(graph(`/groups?$filter=${encodeURIComponent("displayName eq 'AdminAgents'")}&$select=id,displayName`), bearer(token));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.value, [{ id: e.facts.adminAgentsGroupId, displayName: 'AdminAgents' }]);
    const bad = await getJson(graph(`/groups?$filter=${encodeURIComponent("description eq 'x'")}`), bearer(token));
    assertODataError(bad, 400, 'Request_UnsupportedQuery');
  });

  it('pages members with @odata.nextLink', async () => {
    const token = await appToken(e);
    let url: string | undefined = graph(`/groups/${e.facts.adminAgentsGroupId}/members?$top=1`);
    const seen: any[] = [];
    while (url) {
      const r: any = await getJson(url, bearer(token));
      assert.equal(r.status, 200);
      assert.ok(r.body.value.length <= 1);
      seen.push(...r.body.value);
      url = r.body['@odata.nextLink'];
    }
    assert.deepEqual(seen.map((o) => o['@odata.type']).sort(), ['#microsoft.graph.servicePrincipal', '#microsoft.graph.user']);
  });

  it('adds a member with POST members/$ref (204), refuses duplicates, and checkMemberGroups sees it', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'app-not-in-adminagents');
    const token = await appToken(e);
    const spId = e.facts.totalOneApp.servicePrincipalId!;
    const group = e.facts.adminAgentsGroupId;
    const before = await sendJson('POST', graph(`/directoryObjects/${spId}/checkMemberGroups`), { groupIds: [group] }, bearer(token));
    assert.equal(before.status, 200);
    assert.deepEqual(before.body.value, []);
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${spId}` };
    const added = await sendJson('POST', graph(`/groups/${group}/members/$ref`), ref, bearer(token));
    assert.equal(added.status, 204);
    const duplicate = await sendJson('POST', graph(`/groups/${group}/members/$ref`), ref, bearer(token));
    assertODataError(duplicate, 400, 'Request_BadRequest');
    const afterCheck = await sendJson('POST', graph(`/directoryObjects/${spId}/checkMemberGroups`), { groupIds: [group] }, bearer(token));
    assert.deepEqual(afterCheck.body.value, [group]);
    assert.ok(e.events.some((ev) => ev.type === 'graph.group_member_added' && ev.detail.memberId === spId));
  });
});

describe('applications and service principals', () => {
  it('reads the app by filter and by appId key, showing secret hints but never values', async () => {
    const token = await appToken(e);
    const f = e.facts;
    const byFilter = await getJson(graph(`/applications?$filter=${encodeURIComponent(`appId eq '${f.totalOneApp.appId}'`)}`), bearer(token));
    assert.equal(byFilter.body.value.length, 1);
    const app = await getJson(graph(`/applications(appId='${f.totalOneApp.appId}')`), bearer(token));
    assert.equal(app.status, 200);
    assert.equal(app.body.id, f.totalOneApp.objectId);
    const [cred] = app.body.passwordCredentials;
    assert.equal(cred.keyId, f.totalOneApp.secretKeyId);
    assert.equal(cred.hint, f.totalOneApp.secret!.slice(0, 3));
    assert.equal(cred.secretText, null);
    assert.equal(cred.endDateTime, f.totalOneApp.secretEndDateTime);
    const graphAccess = app.body.requiredResourceAccess.find((r: any) => r.resourceAppId === GRAPH_APP_ID);
    assert.ok(graphAccess.resourceAccess.some((a: any) => a.id === '19dbc75e-c2e2-444c-a770-ec69d8559fc7' && a.type === 'Role'));
    assert.ok(graphAccess.resourceAccess.some((a: any) => a.id === 'e1fe6dd8-ba31-4d61-89e7-88639da4683d' && a.type === 'Scope'));
    assert.ok(!JSON.stringify(app.body).includes(f.totalOneApp.secret!));
  });

  it('creates an application, a secret and a service principal only with Application.ReadWrite.All', async () => {
    const denied = await sendJson('POST', graph('/applications'), { displayName: 'New app' }, bearer(await appToken(e)));
    assertODataError(denied, 403, 'Authorization_RequestDenied');
    e.patch({ op: 'grantAppPermission', permission: 'Application.ReadWrite.All' });
    const token = await appToken(e);
    const created = await sendJson('POST', graph('/applications'), { displayName: 'New app', requiredResourceAccess: [] }, bearer(token));
    assert.equal(created.status, 201);
    assert.match(created.body.appId, /^[0-9a-f-]{36}$/);
    const secret = await sendJson('POST', graph(`/applications/${created.body.id}/addPassword`), { passwordCredential: { displayName: 'ci' } }, bearer(token));
    assert.equal(secret.status, 200);
    assert.equal(secret.body.hint, secret.body.secretText.slice(0, 3));
    assert.equal(secret.body.secretText.length, 40);
    const sp = await sendJson('POST', graph('/servicePrincipals'), { appId: created.body.appId }, bearer(token));
    assert.equal(sp.status, 201);
    const again = await sendJson('POST', graph('/servicePrincipals'), { appId: created.body.appId }, bearer(token));
    assert.equal(again.status, 409);
    const tokenForNewApp = await postForm(`${e.baseUrl}/${e.facts.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: created.body.appId, client_secret: secret.body.secretText, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(tokenForNewApp.status, 200);
  });

  it('reads Graph\'s service principal with real appRole ids, and the app\'s role assignments', async () => {
    const token = await appToken(e);
    const graphSp = await getJson(graph(`/servicePrincipals(appId='${GRAPH_APP_ID}')`), bearer(token));
    assert.equal(graphSp.status, 200);
    assert.equal(graphSp.body.appRoles.find((r: any) => r.value === 'RoleManagement.ReadWrite.Directory').id, '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8');
    const assignments = await getJson(graph(`/servicePrincipals/${e.facts.totalOneApp.servicePrincipalId}/appRoleAssignments`), bearer(token));
    assert.equal(assignments.body.value.length, 5, 'the four of the guide + DelegatedAdminRelationship.Read.All');
    assert.ok(assignments.body.value.every((a: any) => a.resourceId === graphSp.body.id && a.principalType === 'ServicePrincipal'));
  });

  it('grants a missing app role with appRoleAssignedTo; the next token carries it', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'missing-graph-permission');
    const token = await appToken(e);
    assert.ok(!claims(token).roles.includes('RoleManagement.ReadWrite.Directory'));
    const graphSp = (await getJson(graph(`/servicePrincipals(appId='${GRAPH_APP_ID}')`), bearer(token))).body;
    const body = { principalId: e.facts.totalOneApp.servicePrincipalId, resourceId: graphSp.id, appRoleId: '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8' };
    const created = await sendJson('POST', graph(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`), body, bearer(token));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.appRoleId, body.appRoleId);
    const duplicate = await sendJson('POST', graph(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`), body, bearer(token));
    assert.equal(duplicate.status, 400);
    assert.ok(claims(await appToken(e)).roles.includes('RoleManagement.ReadWrite.Directory'));
  });
});

describe('the remaining read and write paths', () => {
  it('lists users and groups, reads a group, removes a member, rotates a secret and updates a grant', async () => {
    e.patch({ op: 'grantAppPermission', permission: 'Application.ReadWrite.All' }, { op: 'grantAppPermission', permission: 'DelegatedPermissionGrant.ReadWrite.All' });
    const token = await appToken(e);
    const f = e.facts;
    const users = await getJson(graph(`/users?$filter=${encodeURIComponent(`userPrincipalName eq '${f.serviceAccount.upn}'`)}`), bearer(token));
    assert.deepEqual(users.body.value.map((u: any) => u.id), [f.serviceAccount.id]);
    const group = await getJson(graph(`/groups/${f.adminAgentsGroupId}?$select=displayName`), bearer(token));
    assert.equal(group.body.displayName, 'AdminAgents');
    const spGroups = await getJson(graph(`/servicePrincipals/${f.totalOneApp.servicePrincipalId}/memberOf`), bearer(token));
    assert.deepEqual(spGroups.body.value.map((g: any) => g.displayName), ['AdminAgents']);
    const removed = await fetch(graph(`/groups/${f.adminAgentsGroupId}/members/${f.serviceAccount.id}/$ref`), { method: 'DELETE', headers: bearer(token) });
    assert.equal(removed.status, 204);
    const check = await sendJson('POST', graph(`/users/${f.serviceAccount.id}/checkMemberGroups`), { groupIds: [f.adminAgentsGroupId] }, bearer(token));
    assert.deepEqual(check.body.value, []);

    const graphSp = (await getJson(graph(`/servicePrincipals(appId='${GRAPH_APP_ID}')?$select=id`), bearer(token))).body;
    const assignedTo = await getJson(graph(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`), bearer(token));
    assert.ok(assignedTo.body.value.every((a: any) => a.resourceId === graphSp.id));
    assert.ok(assignedTo.body.value.some((a: any) => a.principalId === f.totalOneApp.servicePrincipalId));

    const added = await sendJson('POST', graph(`/applications(appId='${f.totalOneApp.appId}')/addPassword`), { passwordCredential: { displayName: 'rotation' } }, bearer(token));
    const oldKey = f.totalOneApp.secretKeyId;
    const removedSecret = await sendJson('POST', graph(`/applications/${f.totalOneApp.objectId}/removePassword`), { keyId: oldKey }, bearer(token));
    assert.equal(removedSecret.status, 204);
    const app = await getJson(graph(`/applications/${f.totalOneApp.objectId}?$select=passwordCredentials`), bearer(token));
    assert.deepEqual(app.body.passwordCredentials.map((c: any) => c.keyId), [added.body.keyId]);
    const old = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(old.status, 401, 'the removed secret no longer works');

    const grants = await getJson(graph('/oauth2PermissionGrants'), bearer(token));
    const grant = grants.body.value[0];
    const patched = await sendJson('PATCH', graph(`/oauth2PermissionGrants/${grant.id}`), { scope: 'User.Read openid' }, bearer(token));
    assert.equal(patched.status, 204);
    const after = await getJson(graph(`/oauth2PermissionGrants?$filter=${encodeURIComponent(`id eq '${grant.id}'`)}`), bearer(token));
    assert.equal(after.body.value[0].scope, 'User.Read openid');
  });
});

describe('delegated permission grants and policies', () => {
  it('lists oauth2PermissionGrants by filter and creates one', async () => {
    const token = await appToken(e);
    const spId = e.facts.totalOneApp.servicePrincipalId!;
    const r = await getJson(graph(`/oauth2PermissionGrants?$filter=${encodeURIComponent(`clientId eq '${spId}' and consentType eq 'AllPrincipals'`)}`), bearer(token));
    assert.equal(r.status, 200);
    assert.equal(r.body.value.length, 1);
    assert.equal(r.body.value[0].scope, 'User.Read');
    const graphSpId = r.body.value[0].resourceId;
    const pcSp = e.scenario.tenants[0]!.servicePrincipals.find((s) => s.appId === e.facts.partnerCenter.webAppId)!;
    const created = await sendJson('POST', graph('/oauth2PermissionGrants'), { clientId: pcSp.id, consentType: 'AllPrincipals', resourceId: graphSpId, scope: 'User.Read' }, bearer(token));
    assert.equal(created.status, 201);
    assert.equal(created.body.consentType, 'AllPrincipals');
    const duplicate = await sendJson('POST', graph('/oauth2PermissionGrants'), { clientId: pcSp.id, consentType: 'AllPrincipals', resourceId: graphSpId, scope: 'User.Read' }, bearer(token));
    assert.equal(duplicate.status, 409);
  });

  it('reads the security defaults policy only with Policy.Read.All', async () => {
    const url = graph('/policies/identitySecurityDefaultsEnforcementPolicy');
    assertODataError(await getJson(url, bearer(await appToken(e))), 403, 'Authorization_RequestDenied');
    e.patch({ op: 'grantAppPermission', permission: 'Policy.Read.All' }, { op: 'setSecurityDefaults', enabled: true });
    const r = await getJson(url, bearer(await appToken(e)));
    assert.equal(r.status, 200);
    assert.equal(r.body.id, '00000000-0000-0000-0000-000000000005');
    assert.equal(r.body.isEnabled, true);
  });
});
