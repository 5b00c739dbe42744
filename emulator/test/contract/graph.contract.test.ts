// Contract: the Microsoft Graph reads the product's checks send (the same paths and $select), each
// answer against the sample on Microsoft Learn (microsoft-graph-docs, v1.0).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GRAPH_APP_ID, startEmulator, type Emulator } from '../../index.ts';
import { REDIRECT_URI, appToken, bearer, getJson, sendJson } from '../helpers.ts';
import { assertShape } from './shape.ts';

let e: Emulator;
let token: string;
before(async () => {
  e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI });
  token = await appToken(e);
});
after(async () => { await e.close(); });

const graph = (path: string) => getJson(`${e.baseUrl}/v1.0${path}`, bearer(token));
const quote = (v: string) => `'${v}'`;

function assertJson(r: { status: number; headers: Headers; body: unknown }, status = 200) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
}

describe('Graph reads of the checks (contract)', () => {
  // https://learn.microsoft.com/en-us/graph/api/application-get (example 2, by appId with $select; example 1 for
  // isFallbackPublicClient and passwordCredentials) and the passwordCredential resource
  // (https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential).
  it('application by appId with $select: the Get application samples', async () => {
    const sample = {
      '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#applications(id,appId,displayName,requiredResourceAccess)/$entity",
      id: '7bec5fd1-a25f-474c-a6ca-5492082c6a9b',
      appId: '46e6adf4-a9cf-4b60-9390-0ba6fb00bf6b',
      displayName: 'PostmanWeb',
      isFallbackPublicClient: null,
      passwordCredentials: [{ customKeyIdentifier: null, displayName: 'String', endDateTime: '2024-01-01T00:00:00Z', hint: 'String', keyId: '00000000-0000-0000-0000-000000000000', secretText: null, startDateTime: '2023-01-01T00:00:00Z' }],
      requiredResourceAccess: [{ resourceAppId: '00000003-0000-0000-c000-000000000000', resourceAccess: [{ id: 'ad902697-1014-4ef5-81ef-2b4301988e8c', type: 'Scope' }] }],
    };
    const r = await graph(`/applications(appId=${quote(e.facts.totalOneApp.appId)})?$select=id,appId,displayName,isFallbackPublicClient,passwordCredentials,requiredResourceAccess`);
    assertJson(r);
    assertShape(r.body, sample);
    assert.equal(r.body.passwordCredentials[0].secretText, null, 'Graph never returns a secret');
  });

  // https://learn.microsoft.com/en-us/graph/api/application-get (example 1: web, publicClient) and the
  // application resource's spa property (https://learn.microsoft.com/en-us/graph/api/resources/spaapplication).
  it('the reply addresses of the Partner Center web app: web, spa and publicClient redirect URIs', async () => {
    const sample = {
      appId: '631a96bc-a705-4eda-9f99-fdaf9f54f6a2',
      displayName: 'Display name',
      publicClient: { redirectUris: ['https://contoso.example/'] },
      spa: { redirectUris: ['https://contoso.example/'] },
      web: { redirectUris: ['https://contoso.example/'], homePageUrl: null, logoutUrl: null, implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false } },
    };
    const r = await graph(`/applications(appId=${quote(e.facts.partnerCenter.webAppId)})?$select=appId,displayName,web,spa,publicClient`);
    assertJson(r);
    assertShape(r.body, sample);
    assert.deepEqual(r.body.web.redirectUris, [REDIRECT_URI]);
  });

  // https://learn.microsoft.com/en-us/graph/api/serviceprincipal-get (example 2: $select with appRoles and oauth2PermissionScopes)
  it('service principal by appId with $select: the Get servicePrincipal sample', async () => {
    const sample = {
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#servicePrincipals(id,appId,displayName,appRoles,publishedPermissionScopes)/$entity',
      id: '7408235b-7540-4850-82fe-a5f15ed019e2',
      appId: '00000003-0000-0000-c000-000000000000',
      displayName: 'Microsoft Graph',
      appRoles: [{
        allowedMemberTypes: ['Application'],
        description: 'Allows the app to read all class assignments without grades for all users without a signed-in user.',
        displayName: 'Read all class assignments without grades',
        id: '6e0a958b-b7fc-4348-b7c4-a6ab9fd3dd0e',
        isEnabled: true,
        origin: 'Application',
        value: 'EduAssignments.ReadBasic.All',
      }],
      oauth2PermissionScopes: [{
        adminConsentDescription: "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)",
        adminConsentDisplayName: "View users' basic profile",
        id: '14dad69e-099b-42c9-810b-d002981feec1',
        isEnabled: true,
        type: 'User',
        userConsentDescription: 'Allows the app to see your basic profile (e.g., name, picture, user name, email address)',
        userConsentDisplayName: 'View your basic profile',
        value: 'profile',
      }],
    };
    const r = await graph(`/servicePrincipals(appId=${quote(GRAPH_APP_ID)})?$select=id,appId,displayName,appRoles,oauth2PermissionScopes`);
    assertJson(r);
    assertShape(r.body, sample);
    assert.ok(r.body.appRoles.length > 0 && r.body.oauth2PermissionScopes.length > 0);
  });

  // https://learn.microsoft.com/en-us/graph/api/serviceprincipal-list-approleassignments
  it('the app\'s app role assignments: the List appRoleAssignments sample', async () => {
    const sample = {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#appRoleAssignments',
      value: [{
        id: 'UxOIjjUXr0WvIe4TRFgqTY4z9Wu5KxpBtlEpoTGjw-A',
        createdDateTime: '2021-02-02T04:22:45.4980259Z',
        appRoleId: 'e2a3a72e-5f79-4c64-b1b1-878b674786c9',
        principalDisplayName: 'dxprovisioning-graphapi-client',
        principalId: '8e881353-1735-45af-af21-ee1344582a4d',
        principalType: 'ServicePrincipal',
        resourceDisplayName: 'Microsoft Graph',
        resourceId: 'fea94d6d-b5bf-44d2-a887-4f72a8d74f44',
      }],
    };
    const r = await graph(`/servicePrincipals/${e.facts.totalOneApp.servicePrincipalId}/appRoleAssignments`);
    assertJson(r);
    assertShape(r.body, sample);
    assert.ok(r.body.value.length >= 4, 'the application permissions of the guide');
  });

  // https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-list (the per-item @odata.id annotation of the
  // sample is an OData annotation a client does not rely on)
  it('the app\'s delegated grants: the List oauth2PermissionGrants sample', async () => {
    const sample = {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#oauth2PermissionGrants',
      value: [{
        '@odata.id': 'https://graph.microsoft.com/v2/84841066-274d-4ec0-a5c1-276be684bdd3/oauth2PermissionGrants/AVs6JuUDjkCFV7q2gd8QTPimBBgj5iBFj0C6GwwRxC0',
        clientId: '263a5b01-03e5-408e-8557-bab681df104c',
        consentType: 'AllPrincipals',
        id: 'AVs6JuUDjkCFV7q2gd8QTPimBBgj5iBFj0C6GwwRxC0',
        principalId: null,
        resourceId: '1804a6f8-e623-4520-8f40-ba1b0c11c42d',
        scope: 'User.Read Group.ReadWrite.All',
      }],
    };
    const filter = encodeURIComponent(`clientId eq ${quote(e.facts.totalOneApp.servicePrincipalId!)}`);
    const r = await graph(`/oauth2PermissionGrants?$filter=${filter}`);
    assertJson(r);
    assertShape(r.body, sample, { optional: { 'value[].@odata.id': 'OData annotation' } });
    assert.equal(r.body.value.length, 1);
  });

  // https://learn.microsoft.com/en-us/graph/api/user-list-transitivememberof (groups) and the directoryRole
  // resource (https://learn.microsoft.com/en-us/graph/api/resources/directoryrole) for the roles in the list.
  it('the service account\'s transitive memberships: groups and directory roles as documented', async () => {
    const groupSample = { '@odata.type': '#microsoft.graph.group', displayName: 'All_Contoso_Licensing', mailEnabled: true, mailNickname: 'ContosoMailNickName', securityEnabled: true };
    const roleSample = { '@odata.type': '#microsoft.graph.directoryRole', id: '00000000-0000-0000-0000-000000000000', description: 'String', displayName: 'String', roleTemplateId: 'String' };
    const r = await graph(`/users/${e.facts.serviceAccount.id}/transitiveMemberOf`);
    assertJson(r);
    assertShape(r.body, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#directoryObjects', value: [] });
    const groups = r.body.value.filter((o: { '@odata.type': string }) => o['@odata.type'] === '#microsoft.graph.group');
    const roles = r.body.value.filter((o: { '@odata.type': string }) => o['@odata.type'] === '#microsoft.graph.directoryRole');
    assert.ok(groups.length > 0 && roles.length > 0);
    for (const g of groups) assertShape(g, groupSample);
    for (const role of roles) assertShape(role, roleSample);
  });

  // https://learn.microsoft.com/en-us/graph/api/directoryobject-checkmembergroups (example 1)
  it('checkMemberGroups: the directoryObject checkMemberGroups sample', async () => {
    const sample = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)', value: ['f448435d-3ca7-4073-8152-a1fd73c0fd09'] };
    const r = await sendJson('POST', `${e.baseUrl}/v1.0/directoryObjects/${e.facts.totalOneApp.servicePrincipalId}/checkMemberGroups`, { groupIds: [e.facts.adminAgentsGroupId] }, bearer(token));
    assertJson(r);
    assertShape(r.body, sample);
    assert.deepEqual(r.body.value, [e.facts.adminAgentsGroupId]);
  });

  // https://learn.microsoft.com/en-us/graph/api/user-get with $select; property types from the user resource
  // (https://learn.microsoft.com/en-us/graph/api/resources/user#properties: accountEnabled Boolean, the others String).
  it('the service account by id with $select: the user as documented', async () => {
    const sample = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,displayName,accountEnabled)/$entity', id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', userPrincipalName: 'AdeleV@contoso.com', displayName: 'Adele Vance', accountEnabled: true };
    const r = await graph(`/users/${e.facts.serviceAccount.id}?$select=id,userPrincipalName,displayName,accountEnabled`);
    assertJson(r);
    assertShape(r.body, sample);
  });

  // https://learn.microsoft.com/en-us/graph/api/group-list ($filter on displayName, $select)
  it('the AdminAgents group by display name: the List groups answer', async () => {
    const sample = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups(id,displayName)', value: [{ id: '11111111-2222-3333-4444-555555555555', displayName: 'AdminAgents' }] };
    const r = await graph(`/groups?$filter=${encodeURIComponent("displayName eq 'AdminAgents'")}&$select=id,displayName`);
    assertJson(r);
    assertShape(r.body, sample);
    assert.equal(r.body.value.length, 1);
  });

  // https://learn.microsoft.com/en-us/graph/api/organization-get (verifiedDomains), read as the list the product reads
  it('the organization with its verified domains: the Get organization sample', async () => {
    const org = { id: '84841066-274d-4ec0-a5c1-276be684bdd3', displayName: 'Contoso', verifiedDomains: [{ capabilities: 'Email, OfficeCommunicationsOnline', isDefault: true, isInitial: true, name: 'Contoso.com', type: 'Managed' }] };
    const r = await graph('/organization?$select=id,displayName,verifiedDomains');
    assertJson(r);
    assertShape(r.body, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#organization(id,displayName,verifiedDomains)', value: [org] });
    assert.ok(r.body.value[0].verifiedDomains.some((d: { name: string }) => d.name === e.facts.domain));
  });

  // https://learn.microsoft.com/en-us/graph/errors (the example of a full JSON error body)
  it('an error: the Graph error body', async () => {
    const sample = { error: { code: 'invalidRange', message: 'Uploaded fragment overlaps with existing data.', innerError: { 'request-id': 'request-id', date: 'date-time' } } };
    const r = await graph(`/applications(appId=${quote('00000000-0000-4000-8000-00000000dead')})?$select=appId`);
    assertJson(r, 404);
    assertShape(r.body, sample);
    assert.equal(r.headers.get('request-id'), r.body.error.innerError['request-id']);
  });
});
