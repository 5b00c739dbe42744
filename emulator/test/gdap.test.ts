// Contract tests of the GDAP reads (Microsoft Graph v1.0), compared with the samples Microsoft
// publishes:
//   List delegatedAdminRelationships
//     https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships?view=graph-rest-1.0
//   List accessAssignments
//     https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-list-accessassignments?view=graph-rest-1.0
//   delegatedAdminRelationship resource (statuses, autoExtendDuration values)
//     https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship?view=graph-rest-1.0
// Permissions on both pages: DelegatedAdminRelationship.Read.All (least privileged), delegated or application.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, startEmulator, type Emulator } from '../index.ts';
import { appToken, bearer, getJson } from './helpers.ts';

// The first item of each Learn sample response (values shortened where noted on the page).
const LEARN_RELATIONSHIP = {
  '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
  '@odata.etag': 'W/"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw=="',
  id: '5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836',
  displayName: 'Contoso admin relationship',
  duration: 'P730D',
  customer: { tenantId: '52eaad04-13a2-4a2f-9ce8-93a294fadf36', displayName: 'Contoso Inc' },
  accessDetails: { unifiedRoles: [{ roleDefinitionId: 'dd4db9a0-cc4a-4213-9f9f-70242232d97e' }] },
  status: 'active',
  autoExtendDuration: 'P180D',
  createdDateTime: '2022-02-10T11:24:42.3148266Z',
  lastModifiedDateTime: '2022-02-10T11:26:44.9941884Z',
  activatedDateTime: '2022-02-10T11:26:44.9941884Z',
  endDateTime: '2024-02-10T11:24:42.3148266Z',
};
const LEARN_ASSIGNMENT = {
  '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
  '@odata.etag': 'W/"JyIwMDAwMDI5OC0wMDAwLTAyMDAtMDAwMC02MjJiZTA0YjAwMDAiJw=="',
  id: '84c586df-0943-416e-b95f-7289cb8d3bd5',
  status: 'active',
  createdDateTime: '2022-03-07T22:55:18.6780449Z',
  lastModifiedDateTime: '2022-03-11T23:50:35.8970153Z',
  accessContainer: { accessContainerId: '227a2f44-2682-4831-a021-f8d69a34bcba', accessContainerType: 'securityGroup' },
  accessDetails: { unifiedRoles: [{ roleDefinitionId: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b' }] },
};
const STATUSES = ['activating', 'active', 'approvalPending', 'approved', 'created', 'expired', 'expiring', 'terminated', 'terminating', 'terminationRequested'];

/** Same keys, and every value of the same JSON type, recursively (arrays compared by their first item). */
function assertSameShape(actual: unknown, sample: unknown, path = '$'): void {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  assert.equal(kind(actual), kind(sample), `${path}: ${kind(actual)} instead of ${kind(sample)}`);
  if (Array.isArray(sample) && Array.isArray(actual)) {
    if (sample.length > 0 && actual.length > 0) assertSameShape(actual[0], sample[0], `${path}[0]`);
    return;
  }
  if (kind(sample) === 'object') {
    const a = actual as Record<string, unknown>;
    const s = sample as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(s).sort(), `${path}: keys`);
    for (const key of Object.keys(s)) assertSameShape(a[key], s[key], `${path}.${key}`);
  }
}

let e: Emulator;
const graph = (path: string) => `${e.baseUrl}/v1.0${path}`;
const LIST = '/tenantRelationships/delegatedAdminRelationships';

async function listAll(token: string, query = '?$top=300'): Promise<any[]> {
  const items: any[] = [];
  let url: string | undefined = graph(`${LIST}${query}`);
  while (url) {
    const r = await getJson(url, bearer(token));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    items.push(...r.body.value);
    url = r.body['@odata.nextLink'];
  }
  return items;
}

async function assignments(token: string, relationshipId: string): Promise<any[]> {
  const r = await getJson(graph(`${LIST}/${relationshipId}/accessAssignments`), bearer(token));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.value;
}

before(async () => { e = await startEmulator({ port: 0 }); });
after(async () => { await e.close(); });
beforeEach(() => e.loadScenario('ready'));

describe('GDAP relationships (Graph v1.0)', () => {
  it('lists relationships in the shape of the Learn sample, with @odata.nextLink paging', async () => {
    const token = await appToken(e);
    const r = await getJson(graph(LIST), bearer(token));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^application\/json/);
    assert.equal(r.body['@odata.context'], `${e.baseUrl}/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships`);
    assert.equal(r.body.value.length, 100, 'a default page');
    assertSameShape(r.body.value[0], LEARN_RELATIONSHIP);
    assert.match(r.body.value[0].id, /^[0-9a-f-]{36}-[0-9a-f-]{36}$/);
    assert.match(r.body.value[0].duration, /^P\d+D$/);
    assert.ok(STATUSES.includes(r.body.value[0].status));
    assert.ok(r.body['@odata.nextLink'].startsWith(graph(LIST)));
    const all = await listAll(token, '?$top=75');
    assert.equal(all.length, e.facts.partnerCenter.customerCount, 'ready: one relationship per customer');
    assert.equal(new Set(all.map((x) => x.customer.tenantId)).size, all.length);
    e.patch({ op: 'setCustomers', count: 400 });
    const top = await getJson(graph(`${LIST}?$top=301`), bearer(token));
    assert.equal(top.body.value.length, 300, '$top supports up to 300 objects');
  });

  it('ready: every customer has an active relationship with Global Administrator, assigned to a group holding the service account', async () => {
    const token = await appToken(e);
    const all = await listAll(token);
    assert.ok(all.every((x) => x.status === 'active' && x.autoExtendDuration === 'PT0S'));
    assert.ok(all.every((x) => x.accessDetails.unifiedRoles.some((r: any) => r.roleDefinitionId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID)));
    const value = await assignments(token, all[0].id);
    assert.equal(value.length, 1);
    assertSameShape(value[0], LEARN_ASSIGNMENT);
    assert.equal(value[0].accessContainer.accessContainerType, 'securityGroup');
    const group = e.scenario.tenants[0]!.groups.find((g) => g.id === value[0].accessContainer.accessContainerId)!;
    const serviceAccount = e.scenario.tenants[0]!.users.find((u) => u.userPrincipalName === e.facts.serviceAccount.upn)!;
    assert.ok(group.members.includes(serviceAccount.id), 'the assigned group holds the service account');
    const one = await getJson(graph(`${LIST}/${all[0].id}`), bearer(token));
    assert.equal(one.status, 200);
    assert.equal(one.body.id, all[0].id);
    const missing = await getJson(graph(`${LIST}/00000000-0000-0000-0000-000000000000-00000000-0000-0000-0000-000000000000/accessAssignments`), bearer(token));
    assert.equal(missing.status, 404);
  });

  it('filters on status as documented ($filter=status eq \'active\')', async () => {
    e.loadScenario('gdap-partial');
    const token = await appToken(e);
    const active = await listAll(token, `?$top=50&$filter=${encodeURIComponent("status eq 'active'")}`);
    assert.ok(active.length > 0 && active.every((x) => x.status === 'active'));
    const unsupported = await getJson(graph(`${LIST}?$filter=${encodeURIComponent("duration eq 'P730D'")}`), bearer(token));
    assert.equal(unsupported.status, 400);
  });

  it('answers 403 Authorization_RequestDenied without DelegatedAdminRelationship.Read.All', async () => {
    e.patch({ op: 'revokeAppPermission', permission: 'DelegatedAdminRelationship.Read.All' });
    const token = await appToken(e);
    for (const path of [LIST, `${LIST}/x-y/accessAssignments`]) {
      const r = await getJson(graph(path), bearer(token));
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'Authorization_RequestDenied');
      assert.equal(r.body.error.message, 'Insufficient privileges to complete the operation.');
    }
  });
});

describe('GDAP scenarios', () => {
  it('no-gdap: an empty collection', async () => {
    e.loadScenario('no-gdap');
    const r = await getJson(graph(LIST), bearer(await appToken(e)));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.value, []);
    assert.equal(r.body['@odata.nextLink'], undefined);
  });

  it('gdap-partial: 30% of the customers have no active relationship', async () => {
    e.loadScenario('gdap-partial');
    const all = await listAll(await appToken(e));
    const activeCustomers = new Set(all.filter((x) => x.status === 'active').map((x) => x.customer.tenantId));
    const total = e.facts.partnerCenter.customerCount;
    // Exactly 30 of every hundred customers (250 customers: 76).
    assert.ok(Math.abs(total - activeCustomers.size - total * 0.3) <= 2, `${total - activeCustomers.size} of ${total}`);
    assert.ok(all.some((x) => x.status === 'expired') && all.some((x) => x.status === 'terminated'));
    assert.ok(all.filter((x) => x.status !== 'active').every((x) => Date.parse(x.endDateTime) < e.now().getTime()));
  });

  it('gdap-expiring: some end within 30 days, some auto-extend (never with Global Administrator); the clock expires them', async () => {
    e.loadScenario('gdap-expiring');
    const token = await appToken(e);
    const all = await listAll(token);
    const soon = all.filter((x) => x.autoExtendDuration === 'PT0S' && Date.parse(x.endDateTime) - e.now().getTime() < 30 * 86_400_000);
    const extending = all.filter((x) => x.autoExtendDuration === 'P180D');
    assert.equal(soon.length, 50);
    assert.equal(extending.length, 50);
    assert.ok(extending.every((x) => !x.accessDetails.unifiedRoles.some((r: any) => r.roleDefinitionId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID)));
    e.advanceClock(31 * 86_400);
    const later = await listAll(await appToken(e));
    const byId = new Map(later.map((x) => [x.id, x]));
    assert.ok(soon.every((x) => byId.get(x.id).status === 'expired'));
    assert.ok(extending.every((x) => byId.get(x.id).status === 'active'));
  });

  it('setGdap changes the relationships through the admin API: fixing gdap-partial, removing them all', async () => {
    e.loadScenario('gdap-partial');
    const admin = await fetch(`${e.baseUrl}/_emulator/scenario/patch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'setGdap', gdap: { withoutActivePercent: 0 } }) });
    assert.equal(admin.status, 200);
    const token = await appToken(e);
    const all = await listAll(token);
    assert.equal(all.filter((x) => x.status === 'active').length, e.facts.partnerCenter.customerCount);
    e.patch({ op: 'setGdap', gdap: null });
    assert.deepEqual(await listAll(token), []);
    e.patch({ op: 'setGdap', gdap: { unassignedPercent: 10 } });
    const again = await listAll(token);
    const unassigned = [];
    for (const r of again.slice(0, 100)) if ((await assignments(token, r.id)).length === 0) unassigned.push(r.id);
    assert.equal(unassigned.length, 10, 'active relationships without any access assignment');
  });

  it('gdap-readonly: MLT_ relationships without Global Administrator, assigned to AdminAgents', async () => {
    e.loadScenario('gdap-readonly');
    const token = await appToken(e);
    const all = await listAll(token);
    assert.ok(all.every((x) => /^MLT_[0-9a-f-]{36}$/.test(x.displayName)));
    assert.ok(all.every((x) => x.accessDetails.unifiedRoles.length === 8 && !x.accessDetails.unifiedRoles.some((r: any) => r.roleDefinitionId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID)));
    const [assignment] = await assignments(token, all[0].id);
    assert.equal(assignment.accessContainer.accessContainerId, e.facts.adminAgentsGroupId);
  });
});
