import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../../emulator/index.ts';
import { GRAPH_APP_ID, GraphError, createGraphClient, type GraphClient } from './graph.client.ts';
import { createIdentityClient, type IdentityClient } from './identity.client.ts';
import { createMicrosoftHttp } from './microsoft.http.ts';

const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const USER_READ = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';
const ROLE_MANAGEMENT = '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8';

describe('Graph client against the emulator', () => {
  let emulator: Emulator;
  let identity: IdentityClient;
  let graph: GraphClient;

  async function appToken(): Promise<string> {
    const f = emulator.facts;
    const tokens = await identity.clientCredentials({ tenant: f.tenantId, clientId: f.totalOneApp.appId, clientSecret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default', context: 'Entra app' });
    return tokens.accessToken;
  }

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    identity = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost });
    graph = createGraphClient({ graphUrl: emulator.endpoints.graph, http: createMicrosoftHttp({ timeoutMs: 5000 }) });
  });
  after(() => emulator.close());
  beforeEach(() => emulator.loadScenario('ready'));

  it('reads the GDAP relationships (every page of 300) and their access assignments; without the permission, Authorization_RequestDenied with the fix', async () => {
    emulator.patch({ op: 'setCustomers', count: 700 });
    const token = await appToken();
    const relationships = await graph.delegatedAdminRelationships(token);
    assert.equal(relationships.length, 700, 'three pages followed');
    const first = relationships[0]!;
    assert.equal(first.status, 'active');
    assert.ok(first.customer?.tenantId && first.accessDetails?.unifiedRoles.some((r) => r.roleDefinitionId === GLOBAL_ADMIN));
    const [assignment] = await graph.delegatedAdminAccessAssignments(token, first.id);
    assert.equal(assignment?.accessContainer?.accessContainerType, 'securityGroup');
    assert.equal(assignment?.status, 'active');

    emulator.patch({ op: 'revokeAppPermission', permission: 'DelegatedAdminRelationship.Read.All' });
    await assert.rejects(graph.delegatedAdminRelationships(await appToken()), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.graphCode, 'Authorization_RequestDenied');
      assert.match(error.message, /^Reading your GDAP relationships: /);
      return true;
    });
  });

  it('reads the service account, its transitive roles and groups (following @odata.nextLink), and the AdminAgents group', async () => {
    const token = await appToken();
    const f = emulator.facts;
    const user = await graph.user(token, f.serviceAccount.upn);
    assert.equal(user?.id, f.serviceAccount.id);
    assert.equal(await graph.user(token, '00000000-0000-4000-8000-00000000dead'), null);

    const everything = await graph.transitiveMemberOf(token, f.serviceAccount.id);
    const paged = await graph.transitiveMemberOf(token, f.serviceAccount.id, { pageSize: 1 });
    assert.ok(everything.length >= 2, 'at least AdminAgents and Global Administrator');
    assert.deepEqual(paged.map((o) => o.id).sort(), everything.map((o) => o.id).sort(), 'one item per page, every page followed');
    assert.ok(everything.some((o) => o['@odata.type'] === '#microsoft.graph.directoryRole' && o.roleTemplateId === GLOBAL_ADMIN));

    const group = await graph.groupByDisplayName(token, 'AdminAgents');
    assert.equal(group?.id, f.adminAgentsGroupId);
    assert.equal(await graph.groupByDisplayName(token, "O'Brien agents"), null, 'quotes are escaped');
    assert.deepEqual(await graph.checkMemberGroups(token, f.serviceAccount.id, [f.adminAgentsGroupId]), [f.adminAgentsGroupId]);
    assert.deepEqual(await graph.checkMemberGroups(token, f.totalOneApp.servicePrincipalId!, [f.adminAgentsGroupId]), [f.adminAgentsGroupId]);
  });

  it('reads the app registration (secrets as hints), service principals, grants and the organization', async () => {
    const token = await appToken();
    const f = emulator.facts;
    const app = await graph.application(token, f.totalOneApp.appId);
    assert.equal(app?.appId, f.totalOneApp.appId);
    assert.equal(app?.passwordCredentials[0]?.hint, f.totalOneApp.secret!.slice(0, 3));
    assert.ok(!JSON.stringify(app).includes(f.totalOneApp.secret!), 'Graph never returns the secret');
    assert.ok(app?.requiredResourceAccess.some((r) => r.resourceAppId === GRAPH_APP_ID && r.resourceAccess.some((a) => a.id === ROLE_MANAGEMENT && a.type === 'Role')));
    assert.equal(await graph.application(token, '00000000-0000-4000-8000-00000000dead'), null);
    assert.equal((await graph.application(token, f.partnerCenter.nativeAppId))?.isFallbackPublicClient, true, 'the native app is a public client');
    assert.equal(app?.isFallbackPublicClient, false);

    const sp = await graph.servicePrincipal(token, f.totalOneApp.appId);
    const graphSp = await graph.servicePrincipal(token, GRAPH_APP_ID);
    assert.equal(sp?.id, f.totalOneApp.servicePrincipalId);
    const assignments = await graph.appRoleAssignments(token, sp!.id);
    assert.equal(assignments.filter((a) => a.resourceId === graphSp!.id).length, 5, 'the four of the guide + DelegatedAdminRelationship.Read.All');
    const grants = await graph.oauth2PermissionGrants(token, sp!.id);
    assert.ok(grants.some((g) => g.consentType === 'AllPrincipals' && g.resourceId === graphSp!.id && g.scope.split(' ').includes('User.Read')));
    assert.ok(graphSp?.oauth2PermissionScopes?.some((s) => s.id === USER_READ));

    const org = await graph.organization(token);
    assert.equal(org?.id, f.tenantId);
  });

  it('turns refusals into GraphError with Graph\u2019s code and a plain fix', async () => {
    const token = await appToken();
    // Reading the security defaults needs Policy.Read.All, which the guide's four permissions lack.
    await assert.rejects(graph.securityDefaults(token), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.graphStatus, 403);
      assert.equal(error.graphCode, 'Authorization_RequestDenied');
      assert.equal(error.code, 'MICROSOFT_GRAPH_Authorization_RequestDenied');
      assert.equal(error.status, 400);
      assert.match(error.message, /API permissions.*Grant admin consent/);
      return true;
    });
    await assert.rejects(graph.organization('not-a-token'), (error: unknown) => error instanceof GraphError && error.graphStatus === 401 && error.graphCode === 'InvalidAuthenticationToken');
  });

  it('writes: group member, app role, delegated grant, service principal \u2014 each idempotent', async () => {
    emulator.loadScenario('app-not-in-adminagents');
    const token = await appToken();
    const f = emulator.facts;
    const spId = f.totalOneApp.servicePrincipalId!;
    assert.deepEqual(await graph.addGroupMember(token, f.adminAgentsGroupId, spId), { added: true });
    assert.deepEqual(await graph.addGroupMember(token, f.adminAgentsGroupId, spId), { added: false });
    assert.deepEqual(await graph.checkMemberGroups(token, spId, [f.adminAgentsGroupId]), [f.adminAgentsGroupId]);

    emulator.loadScenario('missing-graph-permission');
    const token2 = await appToken();
    const graphSp = (await graph.servicePrincipal(token2, GRAPH_APP_ID))!;
    const granted = await graph.grantAppRole(token2, graphSp.id, spId, ROLE_MANAGEMENT);
    assert.equal(granted.created, true);
    assert.equal(granted.assignment?.appRoleId, ROLE_MANAGEMENT);
    assert.deepEqual(await graph.grantAppRole(token2, graphSp.id, spId, ROLE_MANAGEMENT), { created: false });

    const existing = await graph.oauth2PermissionGrants(token2, spId);
    assert.ok(existing.length > 0);
    const again = await graph.createDelegatedGrant(token2, { clientSpId: spId, resourceSpId: graphSp.id, scope: 'User.Read' });
    assert.deepEqual(again, { created: false }, 'an AllPrincipals grant exists already');

    // Creating service principals needs Application.ReadWrite.All (not among the four), as on Graph.
    await assert.rejects(graph.createServicePrincipal(token2, f.totalOneApp.appId), (e: unknown) => e instanceof GraphError && e.graphStatus === 403);
    emulator.patch({ op: 'grantAppPermission', permission: 'Application.ReadWrite.All' });
    const token3 = await appToken();
    const sp = await graph.createServicePrincipal(token3, f.totalOneApp.appId);
    assert.equal(sp.id, spId, 'an existing service principal is returned');
  });
});

describe('Graph client: paging safety and unavailable answers (local server)', () => {
  let server: Server;
  let base: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const seen: Array<{ url: string; authorization: string | undefined }> = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url!, authorization: req.headers.authorization });
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('refuses to follow an @odata.nextLink to another host (the token would travel there)', async () => {
    handler = (_req, res) => json(res, 200, { value: [{ id: 'a', '@odata.type': '#microsoft.graph.group' }], '@odata.nextLink': 'https://evil.example/v1.0/next' });
    const graph = createGraphClient({ graphUrl: `${base}/v1.0`, http: createMicrosoftHttp({ timeoutMs: 2000 }) });
    await assert.rejects(graph.transitiveMemberOf('tok', 'user-1'), (e: unknown) => e instanceof GraphError && e.graphCode === 'UnexpectedNextLink');
  });

  it('503 after every retry -> GraphError with status 503 and retryAfterSeconds; a body-less error keeps the HTTP status as code', async () => {
    handler = (_req, res) => json(res, 503, { error: { code: 'serviceNotAvailable', message: 'Service unavailable' } });
    const graph = createGraphClient({ graphUrl: `${base}/v1.0`, http: createMicrosoftHttp({ timeoutMs: 2000, maxAttempts: 2, sleep: async () => {} }) });
    await assert.rejects(graph.organization('tok'), (e: unknown) => {
      assert.ok(e instanceof GraphError);
      assert.equal(e.status, 503);
      assert.equal(e.graphCode, 'serviceNotAvailable');
      assert.equal(e.details.retryAfterSeconds, 30);
      return true;
    });
    handler = (_req, res) => { res.writeHead(500); res.end(); };
    await assert.rejects(graph.organization('tok'), (e: unknown) => e instanceof GraphError && e.graphCode === 'HTTP500' && e.status === 503);
  });

  it('escapes ids placed in paths and filters', async () => {
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { value: [] });
    const graph = createGraphClient({ graphUrl: `${base}/v1.0`, http: createMicrosoftHttp({ timeoutMs: 2000 }) });
    await graph.oauth2PermissionGrants('tok', "x' or clientId eq 'y");
    assert.match(decodeURIComponent(seen[0]!.url), /clientId eq 'x'' or clientId eq ''y'$/);
    handler = (_req, res) => json(res, 404, { error: { code: 'Request_ResourceNotFound', message: 'gone' } });
    assert.equal(await graph.application('tok', "a/../b'c"), null);
    assert.ok(!seen.at(-1)!.url.includes('/../'), seen.at(-1)!.url);
  });
});
