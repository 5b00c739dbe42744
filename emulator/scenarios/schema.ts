// Validation of scenarios that arrive as data (JSON files, the admin API), so a typo answers
// 400 with the path of the bad field instead of failing later inside a request.
import { z } from 'zod';
import type { Scenario } from './types.ts';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO date');

const mfa = z.union([
  z.object({ method: z.literal('totp'), secret: z.string().regex(/^[A-Z2-7]+=*$/i, 'must be base32') }),
  z.object({ method: z.literal('approve') }),
  z.null(),
]);

const user = z.object({
  id: guid, userPrincipalName: z.string().includes('@'), displayName: z.string(), givenName: z.string(), surname: z.string(),
  password: z.string().min(1), passwordChangedAt: isoDate, accountEnabled: z.boolean(), mfa, partnerCenterRoles: z.array(z.string()),
});

const resourceAccess = z.object({ id: guid, type: z.enum(['Role', 'Scope']) });

const application = z.object({
  id: guid, appId: guid, displayName: z.string(), signInAudience: z.enum(['AzureADMyOrg', 'AzureADMultipleOrgs']), isPublicClient: z.boolean(),
  webRedirectUris: z.array(z.string()), publicClientRedirectUris: z.array(z.string()),
  requiredResourceAccess: z.array(z.object({ resourceAppId: guid, resourceAccess: z.array(resourceAccess) })),
  passwordCredentials: z.array(z.object({ keyId: guid, displayName: z.string(), secretText: z.string().min(1), startDateTime: isoDate, endDateTime: isoDate, remainingTokenRequests: z.number().int().min(0).optional() })),
  createdDateTime: isoDate,
  owners: z.array(guid).optional(),
  notes: z.string().nullable().optional(),
});

const servicePrincipal = z.object({
  id: guid, appId: guid, displayName: z.string(), resourceUri: z.string().optional(),
  appRoles: z.array(z.object({ id: guid, value: z.string(), displayName: z.string(), description: z.string() })),
  oauth2PermissionScopes: z.array(z.object({ id: guid, value: z.string(), adminConsentDisplayName: z.string(), adminConsentDescription: z.string(), type: z.enum(['User', 'Admin']) })),
  appOwnerOrganizationId: z.string(),
});

const customer = z.object({ id: guid, companyName: z.string(), domain: z.string(), relationshipToPartner: z.enum(['reseller', 'advisor', 'none']), allowDelegatedAccess: z.boolean().optional() });

const tenant = z.object({
  kind: z.enum(['partner', 'operator']).optional(),
  id: guid, displayName: z.string(), domains: z.array(z.string()).min(1), countryLetterCode: z.string().length(2),
  securityDefaultsEnabled: z.boolean(),
  conditionalAccess: z.object({ requireMfa: z.boolean(), blockUserSignIn: z.boolean() }),
  users: z.array(user),
  groups: z.array(z.object({ id: guid, displayName: z.string(), description: z.string(), members: z.array(guid) })),
  directoryRoles: z.array(z.object({ id: guid, roleTemplateId: guid, displayName: z.string(), description: z.string(), members: z.array(guid) })),
  applications: z.array(application),
  servicePrincipals: z.array(servicePrincipal),
  appRoleAssignments: z.array(z.object({ id: guid, appRoleId: guid, principalId: guid, resourceId: guid, createdDateTime: isoDate })),
  oauth2PermissionGrants: z.array(z.object({ id: guid, clientId: guid, consentType: z.enum(['AllPrincipals', 'Principal']), principalId: guid.nullable(), resourceId: guid, scope: z.string() })),
  partnerCenter: z.object({
    mpnId: z.string(), companyName: z.string(), webAppId: z.string(), nativeAppId: z.string(),
    throttle: z.object({ budget: z.number().int().min(0), windowSeconds: z.number().positive() }),
    faults: z.object({ unavailableRequests: z.number().int().min(0), latencyMs: z.number().min(0), failPagesOnce: z.array(z.number().int().min(0)) }),
    customers: z.union([
      z.object({ kind: z.literal('generated'), count: z.number().int().min(0).max(10_000_000), seed: z.string() }),
      z.object({ kind: z.literal('list'), customers: z.array(customer) }),
    ]),
    defaultPageSize: z.number().int().positive(),
    maxPageSize: z.number().int().positive(),
  }),
  gdap: z.object({
    accessGroupId: guid, anchor: isoDate,
    withoutActivePercent: z.number().min(0).max(100), expiringPercent: z.number().min(0).max(100),
    autoExtendPercent: z.number().min(0).max(100), unassignedPercent: z.number().min(0).max(100), microsoftLed: z.boolean(),
  }).optional(),
  appManagementPolicy: z.object({ blockPasswordAddition: z.boolean(), passwordMaxLifetime: z.string().regex(/^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/, 'must be an ISO 8601 duration such as P90D').nullable() }).optional(),
  roles: z.object({ serviceAccountUpn: z.string(), totalOneAppId: z.string(), adminAgentsGroupId: z.string() }),
});

const keyPermission = z.enum(['get', 'list', 'create', 'rotate', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt']);

export const scenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  tenants: z.array(tenant).min(1),
  publisherApps: z.array(application).optional(),
  keyVault: z.object({
    name: z.string(), tenantId: guid, keyNames: z.array(z.string()),
    accessPolicies: z.array(z.object({ appId: guid, keyPermissions: z.array(keyPermission) })),
  }).optional(),
});

// The schema and the hand-written types must describe the same data.
type Parsed = z.infer<typeof scenarioSchema>;
const sameShape: (p: Parsed) => Scenario = (p) => p;
void sameShape;

export function parseScenario(input: unknown): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`Invalid scenario: ${problems.join('; ')}`);
}
