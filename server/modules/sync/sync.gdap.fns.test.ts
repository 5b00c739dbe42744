import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GLOBAL_ADMINISTRATOR_ROLE_ID as GA, assessAll, assessCustomer, autoExtends, type GdapRelationshipFact } from './sync.gdap.fns.ts';

const now = new Date('2026-12-01T12:00:00.000Z');
const inDays = (d: number) => new Date(now.getTime() + d * 86_400_000).toISOString();
const GROUP = 'g-service-account';
const groups = new Set([GROUP]);
const READER = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';

function rel(overrides: Partial<GdapRelationshipFact> = {}): GdapRelationshipFact {
  return {
    id: 'r1', displayName: 'TotalOne admin', status: 'active', customerTenantId: 'T1', roleIds: [GA, READER], endDateTime: inDays(400), autoExtendDuration: 'PT0S',
    assignments: [{ status: 'active', accessContainerId: GROUP, accessContainerType: 'securityGroup', roleIds: [GA] }],
    ...overrides,
  };
}

describe('GDAP assessment per customer', () => {
  it('active, Global Administrator, assigned to a group holding the service account: manageable', () => {
    const g = assessCustomer([rel()], groups, now);
    assert.deepEqual({ status: g.status, blocker: g.blocker, globalAdmin: g.globalAdmin, readOnly: g.readOnly, groupAssigned: g.groupAssigned, autoExtend: g.autoExtend }, {
      status: 'active', blocker: null, globalAdmin: true, readOnly: false, groupAssigned: true, autoExtend: false,
    });
    assert.equal(g.endAt?.toISOString(), inDays(400));
  });

  it('ends within 30 days without auto-extension: expiring but still manageable; auto-extension keeps it active', () => {
    assert.equal(assessCustomer([rel({ endDateTime: inDays(12) })], groups, now).status, 'expiring');
    const extending = assessCustomer([rel({ endDateTime: inDays(12), autoExtendDuration: 'P180D' })], groups, now);
    assert.equal(extending.status, 'active');
    assert.equal(extending.autoExtend, true);
    assert.equal(autoExtends('P0D'), false);
  });

  it('no relationship, ended, pending', () => {
    assert.deepEqual([assessCustomer([], groups, now).status, assessCustomer([], groups, now).blocker], ['none', 'no_relationship']);
    for (const status of ['expired', 'terminated', 'expiring']) {
      const g = assessCustomer([rel({ status, endDateTime: inDays(-5) })], groups, now);
      assert.deepEqual([g.status, g.blocker], ['expired', 'expired'], status);
    }
    assert.deepEqual([assessCustomer([rel({ status: 'approvalPending' })], groups, now).blocker], ['no_relationship']);
  });

  it('read-only MLT_ relationships, missing Global Administrator, no group assignment', () => {
    const mlt = assessCustomer([rel({ displayName: 'MLT_5d027261-d21f-4aa9-b7db-7fa1f56fb163', roleIds: [READER] })], groups, now);
    assert.deepEqual([mlt.blocker, mlt.readOnly, mlt.globalAdmin], ['read_only', true, false]);
    assert.equal(assessCustomer([rel({ roleIds: [READER] })], groups, now).blocker, 'no_global_admin');
    const otherGroup = assessCustomer([rel({ assignments: [{ status: 'active', accessContainerId: 'someone-else', accessContainerType: 'securityGroup', roleIds: [GA] }] })], groups, now);
    assert.deepEqual([otherGroup.blocker, otherGroup.groupAssigned], ['no_group_assignment', false]);
    const withoutGa = assessCustomer([rel({ assignments: [{ status: 'active', accessContainerId: GROUP, accessContainerType: 'securityGroup', roleIds: [READER] }] })], groups, now);
    assert.deepEqual([withoutGa.blocker, withoutGa.groupAssigned], ['no_group_assignment', true]);
  });

  it('several relationships: the one that gives access wins; the map is keyed by tenant id', () => {
    const map = assessAll([
      rel({ id: 'old', status: 'expired', endDateTime: inDays(-100) }),
      rel({ id: 'mlt', displayName: 'MLT_x', roleIds: [READER] }),
      rel({ id: 'good', displayName: 'New admin' }),
      rel({ id: 'other', customerTenantId: 't2', status: 'terminated' }),
    ], groups, now);
    assert.equal(map.get('t1')?.relationshipName, 'New admin');
    assert.equal(map.get('t1')?.blocker, null);
    assert.equal(map.get('t2')?.blocker, 'expired');
  });
});
