// GDAP relationships of a partner, derived from its customer list on demand (a page costs the same
// for 250 or 100,000 customers). Shapes follow the Microsoft Graph v1.0 reference:
// delegatedAdminRelationship (https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship)
// and delegatedAdminAccessAssignment (https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminaccessassignment).
import { stableGuid } from '../ids.ts';
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID } from '../microsoft-catalog.ts';
import { customerAt, customerCount } from '../partner-center/customers.ts';
import type { CustomerSpec, ScenarioGdap, ScenarioTenant } from '../scenarios/types.ts';

const DAY = 86_400_000;

/** Microsoft Entra built-in role template ids (roleDefinitionId in GDAP). */
export const GDAP_ROLES = {
  globalAdministrator: GLOBAL_ADMIN_ROLE_TEMPLATE_ID,
  directoryReaders: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  serviceSupportAdministrator: 'f023fd81-a637-4b56-95fd-791ac0226033',
  licenseAdministrator: '4d6ac14f-3453-41d0-bef9-a3e0c569773a',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  privilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
} as const;

/** The eight default roles of a Microsoft-led transition relationship (Partner Center "Microsoft-led transition from DAP to GDAP"). */
const MLT_ROLES = [
  GDAP_ROLES.directoryReaders, GDAP_ROLES.globalReader, GDAP_ROLES.serviceSupportAdministrator, GDAP_ROLES.licenseAdministrator,
  GDAP_ROLES.userAdministrator, GDAP_ROLES.helpdeskAdministrator, GDAP_ROLES.privilegedAuthenticationAdministrator, GDAP_ROLES.cloudApplicationAdministrator,
];
/** Auto-extension is not offered for relationships with Global Administrator, so these carry least-privilege roles. */
const AUTO_EXTEND_ROLES = [GDAP_ROLES.userAdministrator, GDAP_ROLES.helpdeskAdministrator, GDAP_ROLES.licenseAdministrator, GDAP_ROLES.directoryReaders];
const CUSTOM_ROLES = [GDAP_ROLES.globalAdministrator, GDAP_ROLES.userAdministrator, GDAP_ROLES.directoryReaders];

export type GdapKind = 'none' | 'expired' | 'terminated' | 'expiring' | 'autoExtend' | 'unassigned' | 'active';

/** Which kind of relationship customer `index` has: buckets of (i * 37 + 11) mod 100, exact per hundred customers. */
export function gdapKind(gdap: ScenarioGdap, index: number): GdapKind {
  const bucket = (index * 37 + 11) % 100;
  let edge = gdap.withoutActivePercent;
  if (bucket < edge) return (['none', 'none', 'none', 'expired', 'expired', 'terminated'] as const)[index % 6]!;
  if (bucket < (edge += gdap.expiringPercent)) return 'expiring';
  if (bucket < (edge += gdap.autoExtendPercent)) return 'autoExtend';
  if (bucket < (edge += gdap.unassignedPercent)) return 'unassigned';
  return 'active';
}

export interface GdapRelationship {
  index: number;
  customer: CustomerSpec;
  kind: GdapKind;
  id: string;
  displayName: string;
  duration: string;
  autoExtendDuration: string;
  roles: string[];
  createdDateTime: string;
  activatedDateTime: string;
  endDateTime: string;
  /** Status at the anchor; the emulator clock may have moved it on since (see statusAt). */
  status: 'active' | 'expired' | 'terminated';
  assignedGroupId: string | null;
}

/** The relationship of customer `index`, or undefined when it has none. */
export function relationshipAt(tenant: ScenarioTenant, index: number): GdapRelationship | undefined {
  const gdap = tenant.gdap;
  if (!gdap) return undefined;
  const customer = customerAt(tenant.partnerCenter.customers, index);
  if (!customer) return undefined;
  const kind = gdapKind(gdap, index);
  if (kind === 'none') return undefined;
  const anchor = Date.parse(gdap.anchor);
  const at = (days: number) => new Date(anchor + days * DAY).toISOString();
  const spread = index % 29; // so dates differ between customers
  const relationshipGuid = stableGuid(tenant.id, 'gdap', customer.id);
  const base = {
    index, customer, kind,
    // Graph's relationship ids are two GUIDs joined by a hyphen.
    id: `${relationshipGuid}-${stableGuid(tenant.id, 'gdap-partner')}`,
    displayName: gdap.microsoftLed ? `MLT_${relationshipGuid}` : `TotalOne admin ${customer.companyName}`.slice(0, 50),
    assignedGroupId: gdap.microsoftLed ? tenant.roles.adminAgentsGroupId : gdap.accessGroupId,
  };
  const roles = gdap.microsoftLed ? MLT_ROLES : kind === 'autoExtend' ? AUTO_EXTEND_ROLES : CUSTOM_ROLES;
  switch (kind) {
    case 'expired':
    case 'terminated': {
      const end = -(10 + spread * 7);
      return { ...base, duration: 'P730D', autoExtendDuration: 'PT0S', roles, createdDateTime: at(end - 731), activatedDateTime: at(end - 730), endDateTime: at(end), status: kind, assignedGroupId: null };
    }
    case 'expiring': {
      const end = 1 + spread; // 1 to 29 days from the anchor
      return { ...base, duration: 'P730D', autoExtendDuration: 'PT0S', roles, createdDateTime: at(end - 731), activatedDateTime: at(end - 730), endDateTime: at(end), status: 'active' };
    }
    case 'autoExtend': {
      const end = 40 + spread;
      return { ...base, duration: 'P180D', autoExtendDuration: 'P180D', roles, createdDateTime: at(end - 181), activatedDateTime: at(end - 180), endDateTime: at(end), status: 'active' };
    }
    default: {
      const end = 200 + spread * 17;
      return { ...base, duration: 'P730D', autoExtendDuration: 'PT0S', roles, createdDateTime: at(end - 731), activatedDateTime: at(end - 730), endDateTime: at(end), status: 'active', ...(kind === 'unassigned' ? { assignedGroupId: null } : {}) };
    }
  }
}

/** Status as Graph reports it now: an active relationship past its end without auto-extension has expired. */
export function statusAt(r: GdapRelationship, now: Date): GdapRelationship['status'] {
  if (r.status === 'active' && r.autoExtendDuration === 'PT0S' && Date.parse(r.endDateTime) <= now.getTime()) return 'expired';
  return r.status;
}

/** End date as Graph reports it now: auto-extension rolls it forward by its duration. */
function endAt(r: GdapRelationship, now: Date): string {
  if (r.autoExtendDuration !== 'P180D') return r.endDateTime;
  let end = Date.parse(r.endDateTime);
  while (end <= now.getTime()) end += 180 * DAY;
  return new Date(end).toISOString();
}

function etag(...parts: string[]): string {
  return `W/"${Buffer.from(`"${stableGuid(...parts)}"`).toString('base64')}"`;
}

export function toRelationship(r: GdapRelationship, now: Date): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
    '@odata.etag': etag(r.id, 'etag'),
    id: r.id,
    displayName: r.displayName,
    duration: r.duration,
    customer: { tenantId: r.customer.id, displayName: r.customer.companyName },
    accessDetails: { unifiedRoles: r.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
    status: statusAt(r, now),
    autoExtendDuration: r.autoExtendDuration,
    createdDateTime: r.createdDateTime,
    lastModifiedDateTime: r.activatedDateTime,
    activatedDateTime: r.activatedDateTime,
    endDateTime: endAt(r, now),
  };
}

/** Access assignments of a relationship: one per security group that holds its roles. */
export function accessAssignments(r: GdapRelationship, now: Date): Array<Record<string, unknown>> {
  if (!r.assignedGroupId) return [];
  const status = statusAt(r, now) === 'active' ? 'active' : 'deleted';
  return [{
    '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
    '@odata.etag': etag(r.id, 'assignment-etag'),
    id: stableGuid(r.id, 'assignment'),
    status,
    createdDateTime: r.activatedDateTime,
    lastModifiedDateTime: r.activatedDateTime,
    accessContainer: { accessContainerId: r.assignedGroupId, accessContainerType: 'securityGroup' },
    accessDetails: { unifiedRoles: r.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
  }];
}

// Relationship id -> customer index, built once per GDAP setup on first use.
const idCache = new WeakMap<object, Map<string, number>>();

export function findRelationship(tenant: ScenarioTenant, id: string): GdapRelationship | undefined {
  const gdap = tenant.gdap;
  if (!gdap) return undefined;
  let ids = idCache.get(tenant.partnerCenter.customers);
  if (!ids) {
    ids = new Map();
    const count = customerCount(tenant.partnerCenter.customers);
    const suffix = stableGuid(tenant.id, 'gdap-partner');
    for (let i = 0; i < count; i++) {
      const customer = customerAt(tenant.partnerCenter.customers, i)!;
      ids.set(`${stableGuid(tenant.id, 'gdap', customer.id)}-${suffix}`, i);
    }
    idCache.set(tenant.partnerCenter.customers, ids);
  }
  const index = ids.get(id.toLowerCase());
  return index === undefined ? undefined : relationshipAt(tenant, index);
}
