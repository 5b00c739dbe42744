// What GDAP lets TotalOne do in each customer's tenant, from the partner's delegated admin
// relationships and their access assignments (Microsoft Graph). Pure: the clock is passed in.
//
// A customer is manageable when one of its relationships is active, includes Global Administrator
// and has an active access assignment, holding Global Administrator, for a security group the
// service account belongs to. Otherwise `blocker` says the first reason that stands in the way.

export const GLOBAL_ADMINISTRATOR_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';
export const EXPIRING_WITHIN_DAYS = 30;
const DAY_MS = 86_400_000;

export type GdapStatus = 'active' | 'expiring' | 'expired' | 'none' | 'unknown';
export type GdapBlocker = 'unknown' | 'no_relationship' | 'expired' | 'read_only' | 'no_global_admin' | 'no_group_assignment';

export interface GdapAssignmentFact {
  status: string;
  accessContainerId: string;
  accessContainerType: string;
  roleIds: string[];
}

export interface GdapRelationshipFact {
  id: string;
  displayName: string;
  status: string;
  customerTenantId: string;
  roleIds: string[];
  endDateTime: string | null;
  autoExtendDuration: string | null;
  /** Read only for active relationships (the others give no access anyway). */
  assignments: GdapAssignmentFact[];
}

export interface CustomerGdap {
  status: GdapStatus;
  endAt: Date | null;
  autoExtend: boolean;
  roleIds: string[];
  globalAdmin: boolean;
  readOnly: boolean;
  groupAssigned: boolean;
  blocker: GdapBlocker | null;
  relationshipName: string | null;
}

/** Microsoft-led transition relationships: created by Microsoft with default, mostly read-only roles. */
export function isMicrosoftLed(r: Pick<GdapRelationshipFact, 'displayName'>): boolean {
  return r.displayName.startsWith('MLT_');
}

/** `P180D` extends; `PT0S` and `P0D` do not. */
export function autoExtends(duration: string | null): boolean {
  return Boolean(duration) && !/^P(T0S|0D|T0H|T0M)$/i.test(duration!);
}

function usableAssignment(r: GdapRelationshipFact, serviceAccountGroups: ReadonlySet<string>): GdapAssignmentFact | undefined {
  return r.assignments.find((a) => a.status === 'active' && a.accessContainerType === 'securityGroup' && serviceAccountGroups.has(a.accessContainerId));
}

/** Best first: can manage, then active with Global Administrator, then active, then the latest to end. */
function rank(r: GdapRelationshipFact, groups: ReadonlySet<string>): number {
  if (r.status !== 'active') return 0;
  const ga = r.roleIds.includes(GLOBAL_ADMINISTRATOR_ROLE_ID);
  const assignment = usableAssignment(r, groups);
  if (ga && assignment?.roleIds.includes(GLOBAL_ADMINISTRATOR_ROLE_ID)) return 4;
  if (ga) return 3;
  return isMicrosoftLed(r) ? 1 : 2;
}

export const UNKNOWN_GDAP: CustomerGdap = {
  status: 'unknown', endAt: null, autoExtend: false, roleIds: [], globalAdmin: false, readOnly: false, groupAssigned: false, blocker: 'unknown', relationshipName: null,
};

export function assessCustomer(relationships: readonly GdapRelationshipFact[], serviceAccountGroups: ReadonlySet<string>, now: Date): CustomerGdap {
  if (relationships.length === 0) return { ...UNKNOWN_GDAP, status: 'none', blocker: 'no_relationship' };
  const best = [...relationships].sort((a, b) => rank(b, serviceAccountGroups) - rank(a, serviceAccountGroups) || Date.parse(b.endDateTime ?? '') - Date.parse(a.endDateTime ?? ''))[0]!;
  const endAt = best.endDateTime ? new Date(best.endDateTime) : null;
  const autoExtend = autoExtends(best.autoExtendDuration);
  const globalAdmin = best.roleIds.includes(GLOBAL_ADMINISTRATOR_ROLE_ID);
  const readOnly = isMicrosoftLed(best);
  const base = { endAt, autoExtend, roleIds: best.roleIds, globalAdmin, readOnly, relationshipName: best.displayName };
  if (best.status !== 'active') {
    // Pending ones (created, approvalPending, approved, activating) give no access yet either.
    const ended = ['expired', 'expiring', 'terminated', 'terminating', 'terminationRequested'].includes(best.status);
    return { ...base, status: ended ? 'expired' : 'none', groupAssigned: false, blocker: ended ? 'expired' : 'no_relationship' };
  }
  const assignment = usableAssignment(best, serviceAccountGroups);
  const groupAssigned = Boolean(assignment);
  const soon = !autoExtend && endAt !== null && endAt.getTime() - now.getTime() <= EXPIRING_WITHIN_DAYS * DAY_MS;
  const status: GdapStatus = soon ? 'expiring' : 'active';
  let blocker: GdapBlocker | null = null;
  if (!globalAdmin) blocker = readOnly ? 'read_only' : 'no_global_admin';
  else if (!assignment || !assignment.roleIds.includes(GLOBAL_ADMINISTRATOR_ROLE_ID)) blocker = 'no_group_assignment';
  return { ...base, status, groupAssigned, blocker };
}

/** Per customer tenant id. Customers without any relationship are not in the map (they have none). */
export function assessAll(relationships: readonly GdapRelationshipFact[], serviceAccountGroups: ReadonlySet<string>, now: Date): Map<string, CustomerGdap> {
  const byCustomer = new Map<string, GdapRelationshipFact[]>();
  for (const r of relationships) {
    const key = r.customerTenantId.toLowerCase();
    const list = byCustomer.get(key);
    if (list) list.push(r);
    else byCustomer.set(key, [r]);
  }
  return new Map([...byCustomer].map(([tenantId, list]) => [tenantId, assessCustomer(list, serviceAccountGroups, now)]));
}

/** Why the platform cannot manage a customer yet, and what fixes it, in the partner's words. */
export const BLOCKER_TEXT: Record<GdapBlocker, { reason: string; fix: string }> = {
  unknown: {
    reason: 'TotalOne could not read your GDAP relationships.',
    fix: 'Give the TotalOne app the Microsoft Graph application permission DelegatedAdminRelationship.Read.All with admin consent; the next import reads them.',
  },
  no_relationship: {
    reason: 'No active GDAP relationship with this customer.',
    fix: 'In Partner Center > Customers > the customer > Admin relationships, request a GDAP relationship with Global Administrator and have the customer approve it.',
  },
  expired: {
    reason: 'The GDAP relationship with this customer has ended.',
    fix: 'Ended relationships cannot be restored: request a new GDAP relationship with Global Administrator in Partner Center > Customers > the customer > Admin relationships.',
  },
  read_only: {
    reason: 'Only the relationship Microsoft created in its transition (MLT_) exists: it has no Global Administrator role.',
    fix: 'Request a new GDAP relationship with Global Administrator in Partner Center > Customers > the customer > Admin relationships.',
  },
  no_global_admin: {
    reason: 'The active GDAP relationship does not include Global Administrator.',
    fix: 'Request a GDAP relationship that includes Global Administrator in Partner Center > Customers > the customer > Admin relationships.',
  },
  no_group_assignment: {
    reason: 'No security group containing the service account is assigned Global Administrator in the relationship.',
    fix: 'In Partner Center > Customers > the customer > Admin relationships > the relationship, assign Global Administrator to a security group that contains the service account.',
  },
};
