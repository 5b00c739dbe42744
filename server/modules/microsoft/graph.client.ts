import { AppError, UnavailableError } from '../../lib/errors.ts';
import { GRAPH_ROWS, classifyGraph, describeFailure } from './microsoft.failures.ts';
import type { MicrosoftHttp, MicrosoftRequest, MicrosoftResponse } from './microsoft.http.ts';

// Microsoft Graph v1.0: the reads the preflight needs and the writes "we set up Entra for you"
// will need. Typed with only the properties we use. Every refusal becomes a GraphError whose
// message says what to fix; lookups by id answer null for "does not exist".

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  accountEnabled?: boolean;
}

/** An item of memberOf / transitiveMemberOf: a group or a directory role (or an administrative unit). */
export interface GraphDirectoryObject {
  '@odata.type': string;
  id: string;
  displayName?: string | null;
  /** Directory roles only. */
  roleTemplateId?: string;
}

export interface GraphGroup {
  id: string;
  displayName: string;
}

export interface GraphPasswordCredential {
  keyId: string;
  displayName: string | null;
  /** First three characters of the secret value. */
  hint: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
}

export interface GraphRequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: Array<{ id: string; type: 'Role' | 'Scope' }>;
}

export interface GraphApplication {
  id: string;
  appId: string;
  displayName: string;
  /** True for public (native) clients, such as the Partner Center native app. */
  isFallbackPublicClient?: boolean | null;
  passwordCredentials: GraphPasswordCredential[];
  requiredResourceAccess: GraphRequiredResourceAccess[];
}

export interface GraphApplicationRedirectUris {
  appId: string;
  displayName?: string;
  web: string[];
  spa: string[];
  publicClient: string[];
}

export interface GraphServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appRoles?: Array<{ id: string; value: string | null }>;
  oauth2PermissionScopes?: Array<{ id: string; value: string }>;
}

export interface GraphAppRoleAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  resourceId: string;
  resourceDisplayName?: string | null;
}

export interface GraphPermissionGrant {
  id: string;
  clientId: string;
  consentType: 'AllPrincipals' | 'Principal';
  principalId: string | null;
  resourceId: string;
  scope: string;
}

export interface GraphOrganization {
  id: string;
  displayName: string;
  verifiedDomains: Array<{ name: string; isDefault: boolean; isInitial: boolean }>;
}

/** tenantRelationships/delegatedAdminRelationships item (the properties TotalOne reads). */
export interface GraphDelegatedAdminRelationship {
  id: string;
  displayName: string;
  status: string;
  customer: { tenantId: string; displayName?: string | null } | null;
  accessDetails: { unifiedRoles: Array<{ roleDefinitionId: string }> } | null;
  duration?: string | null;
  autoExtendDuration?: string | null;
  endDateTime?: string | null;
}

/** …/delegatedAdminRelationships/{id}/accessAssignments item. */
export interface GraphDelegatedAdminAccessAssignment {
  id: string;
  status: string;
  accessContainer: { accessContainerId: string; accessContainerType: string } | null;
  accessDetails: { unifiedRoles: Array<{ roleDefinitionId: string }> } | null;
}

interface GraphCollection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

interface GraphErrorBody {
  error?: { code?: string; message?: string; innerError?: { 'request-id'?: string } };
}

/** A refusal by Microsoft Graph, in plain words. `status` is ours (400 refused, 503 unavailable); `graphStatus` is Graph's. */
export class GraphError extends AppError {
  constructor(
    readonly graphStatus: number,
    readonly graphCode: string,
    readonly graphMessage: string,
    context: string,
    readonly graphRequestId?: string,
  ) {
    // Texts from the one failure table; a code it does not know keeps Graph's own words.
    const known = graphCode in GRAPH_ROWS || graphStatus === 429 || graphStatus >= 500;
    const said = graphMessage ? ` Microsoft said: "${graphMessage}"` : '';
    const text = known
      ? describeFailure(classifyGraph({ status: graphStatus, code: graphCode }), { interactive: true })
      : `Microsoft Graph answered ${graphStatus} (${graphCode}).${said}`;
    super(graphStatus === 429 || graphStatus >= 500 ? 503 : 400, `MICROSOFT_GRAPH_${graphCode}`, `${context}: ${text}`, {
      graphStatus,
      graphCode,
      ...(graphRequestId ? { graphRequestId } : {}),
      ...(graphStatus === 429 || graphStatus >= 500 ? { retryAfterSeconds: 30 } : {}),
    });
  }
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function createGraphClient(deps: { graphUrl: string; http: MicrosoftHttp }) {
  const root = deps.graphUrl.replace(/\/+$/, '');
  const origin = new URL(root).origin;

  async function call<T>(path: string, context: string, request: Omit<MicrosoftRequest, 'token'> & { token: string }): Promise<MicrosoftResponse<T>> {
    const url = path.startsWith('http') ? path : `${root}${path}`;
    const response = await deps.http.requestJson<T>(url, request);
    if (response.status >= 400) throw toGraphError(response as MicrosoftResponse<unknown>, context);
    return response;
  }

  async function get<T>(token: string, path: string, context: string): Promise<T> {
    return (await call<T>(path, context, { token })).body;
  }

  /** GET that answers null when Graph says the object does not exist. */
  async function find<T>(token: string, path: string, context: string): Promise<T | null> {
    try {
      return await get<T>(token, path, context);
    } catch (error) {
      if (error instanceof GraphError && error.graphStatus === 404) return null;
      throw error;
    }
  }

  /** Follows @odata.nextLink, only ever to Graph's own host (the token must not travel elsewhere). */
  async function all<T>(token: string, path: string, context: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    for (let page = 0; next; page++) {
      if (page >= 1000) throw new UnavailableError('MICROSOFT_GRAPH_PAGING', `${context}: Microsoft Graph kept sending more pages; please try again later.`);
      const body: GraphCollection<T> = await get<GraphCollection<T>>(token, next, context);
      items.push(...(body.value ?? []));
      const link = body['@odata.nextLink'];
      if (link && new URL(link, root).origin !== origin) throw new GraphError(502, 'UnexpectedNextLink', 'The next page link points outside Microsoft Graph.', context);
      next = link;
    }
    return items;
  }

  function servicePrincipal(token: string, appId: string): Promise<GraphServicePrincipal | null> {
    return find<GraphServicePrincipal>(token, `/servicePrincipals(appId=${quote(encodeURIComponent(appId))})?$select=id,appId,displayName,appRoles,oauth2PermissionScopes`, 'Reading the app\u2019s service principal');
  }

  return {
    user(token: string, idOrUpn: string): Promise<GraphUser | null> {
      return find<GraphUser>(token, `/users/${encodeURIComponent(idOrUpn)}?$select=id,userPrincipalName,displayName,accountEnabled`, 'Reading the service account');
    },

    /** Groups and directory roles the object belongs to, directly or through nested groups. */
    transitiveMemberOf(token: string, userId: string, options: { pageSize?: number } = {}): Promise<GraphDirectoryObject[]> {
      // Graph pages memberships by 100 unless asked for more (999 at most).
      const top = `?$top=${options.pageSize ?? 999}`;
      return all<GraphDirectoryObject>(token, `/users/${encodeURIComponent(userId)}/transitiveMemberOf${top}`, 'Reading the service account\u2019s roles and groups');
    },

    async groupByDisplayName(token: string, name: string): Promise<GraphGroup | null> {
      const body = await get<GraphCollection<GraphGroup>>(token, `/groups?$filter=${encodeURIComponent(`displayName eq ${quote(name)}`)}&$select=id,displayName`, `Looking up the ${name} group`);
      return body.value[0] ?? null;
    },

    /** Which of `groupIds` (at most 20) the object is a member of, transitively. */
    async checkMemberGroups(token: string, objectId: string, groupIds: string[]): Promise<string[]> {
      const response = await call<{ value: string[] }>(`/directoryObjects/${encodeURIComponent(objectId)}/checkMemberGroups`, 'Checking group membership', {
        token, method: 'POST', body: { groupIds }, idempotent: true,
      });
      return response.body.value;
    },

    application(token: string, appId: string): Promise<GraphApplication | null> {
      return find<GraphApplication>(token, `/applications(appId=${quote(encodeURIComponent(appId))})?$select=id,appId,displayName,isFallbackPublicClient,passwordCredentials,requiredResourceAccess`, 'Reading the app registration');
    },

    servicePrincipal,

    /**
     * The redirect URIs of an app registration, by platform (application resource: `web`, `spa`,
     * `publicClient`, each with `redirectUris`). Reading an app registration needs Application.Read.All
     * or a higher permission (https://learn.microsoft.com/en-us/graph/api/application-get).
     */
    async applicationRedirectUris(token: string, appId: string): Promise<GraphApplicationRedirectUris | null> {
      const app = await find<{ appId: string; displayName?: string | null; web?: { redirectUris?: string[] } | null; spa?: { redirectUris?: string[] } | null; publicClient?: { redirectUris?: string[] } | null }>(
        token,
        `/applications(appId=${quote(encodeURIComponent(appId))})?$select=appId,displayName,web,spa,publicClient`,
        'Reading the app\u2019s reply addresses',
      );
      if (!app) return null;
      return {
        appId: app.appId,
        ...(app.displayName ? { displayName: app.displayName } : {}),
        web: app.web?.redirectUris ?? [],
        spa: app.spa?.redirectUris ?? [],
        publicClient: app.publicClient?.redirectUris ?? [],
      };
    },

    /** App roles (application permissions) granted to this service principal. */
    appRoleAssignments(token: string, spId: string): Promise<GraphAppRoleAssignment[]> {
      return all<GraphAppRoleAssignment>(token, `/servicePrincipals/${encodeURIComponent(spId)}/appRoleAssignments`, 'Reading the app\u2019s granted permissions');
    },

    /** Delegated permission grants (consents) given to this client service principal. */
    oauth2PermissionGrants(token: string, clientSpId: string): Promise<GraphPermissionGrant[]> {
      return all<GraphPermissionGrant>(token, `/oauth2PermissionGrants?$filter=${encodeURIComponent(`clientId eq ${quote(clientSpId)}`)}`, 'Reading the app\u2019s delegated consents');
    },

    async organization(token: string): Promise<GraphOrganization | null> {
      const body = await get<GraphCollection<GraphOrganization>>(token, '/organization?$select=id,displayName,verifiedDomains', 'Reading the organization');
      return body.value[0] ?? null;
    },

    /**
     * The partner's GDAP relationships, every page (`$top` up to 300). Needs DelegatedAdminRelationship.Read.All
     * (https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships).
     */
    delegatedAdminRelationships(token: string): Promise<GraphDelegatedAdminRelationship[]> {
      return all<GraphDelegatedAdminRelationship>(
        token,
        '/tenantRelationships/delegatedAdminRelationships?$top=300&$select=id,displayName,status,customer,accessDetails,duration,autoExtendDuration,endDateTime',
        'Reading your GDAP relationships',
      );
    },

    /** The access assignments (security groups and their roles) of one GDAP relationship, every page. */
    delegatedAdminAccessAssignments(token: string, relationshipId: string): Promise<GraphDelegatedAdminAccessAssignment[]> {
      return all<GraphDelegatedAdminAccessAssignment>(
        token,
        `/tenantRelationships/delegatedAdminRelationships/${encodeURIComponent(relationshipId)}/accessAssignments?$top=300`,
        'Reading the security groups of a GDAP relationship',
      );
    },

    /** Needs Policy.Read.All, which the guide's four permissions do not include. */
    securityDefaults(token: string): Promise<{ isEnabled: boolean }> {
      return get<{ isEnabled: boolean }>(token, '/policies/identitySecurityDefaultsEnforcementPolicy', 'Reading the security defaults');
    },

    /** Adds a user or service principal to a group; already being a member is not an error. */
    async addGroupMember(token: string, groupId: string, objectId: string): Promise<{ added: boolean }> {
      try {
        await call(`/groups/${encodeURIComponent(groupId)}/members/$ref`, 'Adding a member to the group', {
          token, method: 'POST', body: { '@odata.id': `${root}/directoryObjects/${objectId}` },
        });
        return { added: true };
      } catch (error) {
        if (error instanceof GraphError && error.graphStatus === 400 && /already exist/i.test(error.graphMessage)) return { added: false };
        throw error;
      }
    },

    /** Grants an application permission (app role of `resourceSpId`) to `principalSpId`; an existing grant is not an error. */
    async grantAppRole(token: string, resourceSpId: string, principalSpId: string, appRoleId: string): Promise<{ created: boolean; assignment?: GraphAppRoleAssignment }> {
      try {
        const response = await call<GraphAppRoleAssignment>(`/servicePrincipals/${encodeURIComponent(resourceSpId)}/appRoleAssignedTo`, 'Granting an application permission', {
          token, method: 'POST', body: { principalId: principalSpId, resourceId: resourceSpId, appRoleId },
        });
        return { created: true, assignment: response.body };
      } catch (error) {
        if (error instanceof GraphError && error.graphStatus === 400 && /already exists/i.test(error.graphMessage)) return { created: false };
        throw error;
      }
    },

    /** Creates the service principal (enterprise application) of an app; returns the existing one if there is one. */
    async createServicePrincipal(token: string, appId: string): Promise<GraphServicePrincipal> {
      try {
        return (await call<GraphServicePrincipal>('/servicePrincipals', 'Creating the app\u2019s service principal', { token, method: 'POST', body: { appId } })).body;
      } catch (error) {
        if (error instanceof GraphError && error.graphStatus === 409) {
          const existing = await servicePrincipal(token, appId);
          if (existing) return existing;
        }
        throw error;
      }
    },

    /** App registrations with this display name (at most a few), with what the setup needs to judge them. */
    async applicationsByDisplayName(token: string, name: string): Promise<Array<GraphApplication & { notes?: string | null; web?: { redirectUris?: string[] } | null }>> {
      const body = await get<GraphCollection<GraphApplication & { notes?: string | null }>>(
        token,
        `/applications?$filter=${encodeURIComponent(`displayName eq ${quote(name)}`)}&$select=id,appId,displayName,notes,requiredResourceAccess,passwordCredentials,web`,
        `Looking up the app registration "${name}"`,
      );
      return body.value;
    },

    /** Owners of an app registration (object ids and user principal names of users). */
    async applicationOwners(token: string, objectId: string): Promise<Array<{ id: string; userPrincipalName?: string | null; displayName?: string | null }>> {
      return all(token, `/applications/${encodeURIComponent(objectId)}/owners?$select=id,userPrincipalName,displayName`, 'Reading the app registration\u2019s owners');
    },

    async createApplication(token: string, app: { displayName: string; notes: string; requiredResourceAccess: GraphRequiredResourceAccess[] }): Promise<GraphApplication> {
      return (await call<GraphApplication>('/applications', 'Creating the app registration', { token, method: 'POST', body: { ...app, signInAudience: 'AzureADMyOrg' } })).body;
    },

    /** PATCH replaces each given property whole (requiredResourceAccess, web: { redirectUris }). */
    async updateApplication(token: string, objectId: string, changes: { requiredResourceAccess?: GraphRequiredResourceAccess[]; web?: { redirectUris: string[] } }): Promise<void> {
      await call(`/applications/${encodeURIComponent(objectId)}`, 'Updating the app registration', { token, method: 'PATCH', body: changes });
    },

    /** `@odata.type` of each authentication method registered for the user (password included). */
    async authenticationMethods(token: string, userId: string): Promise<string[]> {
      const items = await all<{ '@odata.type': string }>(token, `/users/${encodeURIComponent(userId)}/authentication/methods`, 'Reading the service account\u2019s authentication methods');
      return items.map((m) => m['@odata.type']);
    },

    /** A new client secret; Graph returns its text this once. */
    async addPassword(token: string, objectId: string, credential: { displayName: string; endDateTime: string }): Promise<{ keyId: string; secretText: string; hint: string | null; endDateTime: string }> {
      return (await call<{ keyId: string; secretText: string; hint: string | null; endDateTime: string }>(`/applications/${encodeURIComponent(objectId)}/addPassword`, 'Creating a client secret', {
        token, method: 'POST', body: { passwordCredential: credential },
      })).body;
    },

    /** Deletes a client secret (application: removePassword, 204 No Content). */
    async removePassword(token: string, objectId: string, keyId: string): Promise<void> {
      await call(`/applications/${encodeURIComponent(objectId)}/removePassword`, 'Removing a client secret', { token, method: 'POST', body: { keyId } });
    },

    /** The tenant default app management policy's restrictions on application secrets. */
    async secretPolicy(token: string): Promise<{ blocked: boolean; maxLifetime: string | null }> {
      const body = await get<{ isEnabled?: boolean; applicationRestrictions?: { passwordCredentials?: Array<{ restrictionType?: string; state?: string; maxLifetime?: string | null }> } }>(
        token, '/policies/defaultAppManagementPolicy', 'Reading the tenant\u2019s app management policy',
      );
      const rules = body.isEnabled === false ? [] : (body.applicationRestrictions?.passwordCredentials ?? []).filter((r) => r.state !== 'disabled');
      return {
        blocked: rules.some((r) => r.restrictionType === 'passwordAddition'),
        maxLifetime: rules.find((r) => r.restrictionType === 'passwordLifetime')?.maxLifetime ?? null,
      };
    },

    /** Admin consent for delegated scopes (space-separated `scope`) of `resourceSpId` to `clientSpId`. */
    async createDelegatedGrant(
      token: string,
      grant: { clientSpId: string; resourceSpId: string; scope: string; consentType?: 'AllPrincipals' | 'Principal'; principalId?: string },
    ): Promise<{ created: boolean; grant?: GraphPermissionGrant }> {
      const consentType = grant.consentType ?? 'AllPrincipals';
      try {
        const response = await call<GraphPermissionGrant>('/oauth2PermissionGrants', 'Granting admin consent for delegated permissions', {
          token, method: 'POST',
          body: { clientId: grant.clientSpId, resourceId: grant.resourceSpId, scope: grant.scope, consentType, ...(consentType === 'Principal' ? { principalId: grant.principalId } : {}) },
        });
        return { created: true, grant: response.body };
      } catch (error) {
        if (error instanceof GraphError && error.graphStatus === 409) return { created: false };
        throw error;
      }
    },
  };
}

export type GraphClient = ReturnType<typeof createGraphClient>;

function toGraphError(response: MicrosoftResponse<unknown>, context: string): GraphError {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as GraphErrorBody;
  const code = body.error?.code ?? (response.status === 429 ? 'TooManyRequests' : `HTTP${response.status}`);
  const requestId = body.error?.innerError?.['request-id'] ?? response.headers.get('request-id') ?? undefined;
  return new GraphError(response.status, code, body.error?.message ?? '', context, requestId);
}
