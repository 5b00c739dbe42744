import { decodeJwt } from 'jose';
import { UnavailableError } from '../../lib/errors.ts';
import { GRAPH_APP_ID, GraphError, type GraphApplication, type GraphClient } from '../microsoft/graph.client.ts';
import { PartnerCenterError, type PartnerCenterClient } from '../microsoft/partner-center.client.ts';
import {
  ADMIN_AGENTS_GROUP_NAME, allRequiredPassed, evaluatePreflight,
  type AppRegistrationFacts, type Known, type PartnerCenterAnswer, type PreflightCheck, type PreflightFacts, type UnknownCause,
} from './connect.preflight.fns.ts';

// Connect step 5: collect the facts the preflight checklist needs from Microsoft Graph (with the
// Entra app's app-only token) and Partner Center (with the service account's MFA token), then
// evaluate them. A call that fails only makes its own checks 'unknown' with the reason; the
// preflight never throws because Microsoft refused or did not answer. Secrets never come here:
// only their first three characters (`hint`, as Graph shows them).

export type {
  CheckStatus, PreflightCheck, PreflightCheckId, PreflightFacts, Known, UnknownCause, AppRegistrationFacts, PartnerCenterAnswer,
} from './connect.preflight.fns.ts';
export { allRequiredPassed, evaluatePreflight } from './connect.preflight.fns.ts';

export interface PreflightInput {
  /** App-only Microsoft Graph token of the Entra app; null when Microsoft refused to issue one (see graphAppTokenRefusal). */
  graphAppToken: string | null;
  /** Why Microsoft refused the Graph token (e.g. AADSTS7000222 for an expired secret). */
  graphAppTokenRefusal?: { aadsts?: number; message: string };
  /** The service account's delegated Partner Center token (from the MFA sign-in or its refresh); null when Microsoft refused to renew it. */
  partnerCenterUserToken: string | null;
  /** Why Microsoft refused to renew it (e.g. AADSTS50173 after a password change, 700082 after 90 idle days). */
  partnerCenterTokenRefusal?: { aadsts?: number; message: string };
  /** Claims of that token: amr (MFA), wids (directory roles), oid, upn. Ignored without a token. */
  partnerCenterUserClaims: Record<string, unknown>;
  serviceAccountObjectId: string;
  entraAppId: string;
  partnerCenterWebAppId: string;
  /** First three characters of the trimmed Entra app secret. */
  entraSecretHint: string;
  /** First three characters of the trimmed Partner Center web app secret. */
  partnerCenterSecretHint: string;
  /** MS-CorrelationId of this run's Partner Center calls (one per preflight run). */
  correlationId?: string;
}

export interface PreflightResult {
  checks: PreflightCheck[];
  allRequiredPassed: boolean;
  checkedAt: Date;
}

interface PreflightLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

function known<T>(value: T): Known<T> {
  return { known: true, value };
}

function unknown<T>(reason: string, cause?: UnknownCause): Known<T> {
  return { known: false, reason, ...(cause ? { cause } : {}) };
}

/** Two facts together, or the reason the first missing one is missing. */
function both<A, B, T>(a: Known<A>, b: Known<B>, combine: (a: A, b: B) => T): Known<T> {
  if (!a.known) return a;
  if (!b.known) return b;
  return known(combine(a.value, b.value));
}

/** Why a Graph read failed, in words for the checklist. */
function graphUnknown(error: unknown): Known<never> {
  if (error instanceof GraphError) {
    if (error.graphStatus === 403) return unknown('Microsoft Graph refused to show it (Authorization_RequestDenied): the Entra app lacks the permission \u2014 see the Graph application permissions check.', 'graph_permission');
    if (error.graphStatus === 401) return unknown(`Microsoft Graph did not accept the Entra app\u2019s token (${error.graphCode}).`);
    if (error.graphStatus === 429 || error.graphStatus >= 500) return unknown('Microsoft Graph is busy or unavailable right now.', 'unavailable');
    return unknown(`Microsoft Graph answered ${error.graphStatus} (${error.graphCode}).`);
  }
  if (error instanceof UnavailableError) return unknown('Microsoft Graph did not answer.', 'unavailable');
  return unknown('an unexpected error occurred while reading Microsoft Graph.');
}

function toAppFacts(app: GraphApplication): AppRegistrationFacts {
  const graph = (app.requiredResourceAccess ?? []).filter((r) => r.resourceAppId === GRAPH_APP_ID).flatMap((r) => r.resourceAccess);
  return {
    appId: app.appId,
    displayName: app.displayName,
    passwordCredentials: (app.passwordCredentials ?? []).map((c) => ({ keyId: c.keyId, displayName: c.displayName, hint: c.hint, endDateTime: c.endDateTime })),
    requestedGraphRoleIds: graph.filter((a) => a.type === 'Role').map((a) => a.id),
    requestedGraphScopeIds: graph.filter((a) => a.type === 'Scope').map((a) => a.id),
  };
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

function tokenRoles(token: string | null): string[] | undefined {
  if (!token) return undefined;
  try {
    return stringArray(decodeJwt(token).roles) ?? [];
  } catch {
    return undefined;
  }
}

export function createPreflight(deps: { graph: GraphClient; partnerCenter: PartnerCenterClient; now?: () => Date; logger?: PreflightLogger }) {
  const now = deps.now ?? (() => new Date());

  async function attempt<T>(what: string, read: () => Promise<T>): Promise<Known<T>> {
    try {
      return known(await read());
    } catch (error) {
      if (!(error instanceof GraphError) && !(error instanceof UnavailableError)) {
        deps.logger?.warn({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error), what }, 'preflight read failed unexpectedly');
      }
      return graphUnknown(error);
    }
  }

  /** Reads that need an earlier fact: unknown with the earlier reason when that is missing. */
  async function after<A, T>(prerequisite: Known<A>, read: (value: A) => Promise<T> | T, what: string): Promise<Known<T>> {
    if (!prerequisite.known) return prerequisite;
    const value = prerequisite.value;
    return attempt(what, async () => read(value));
  }

  async function partnerCenterAnswer(token: string | null, refusal: PreflightInput['partnerCenterTokenRefusal'], correlationId: string | undefined): Promise<PartnerCenterAnswer> {
    if (!token) return { outcome: 'no_token', ...(refusal?.aadsts ? { aadsts: refusal.aadsts } : {}), message: refusal?.message ?? 'there is no sign-in token.' };
    try {
      const page = await deps.partnerCenter.customersPage(token, { size: 1 }, correlationId ? { correlationId } : {});
      return { outcome: 'answered', customersOnFirstPage: page.items.length };
    } catch (error) {
      if (error instanceof PartnerCenterError) {
        if (error.partnerCenterStatus === 429 || error.partnerCenterStatus >= 500) {
          return { outcome: 'unavailable', reason: `Partner Center is busy or unavailable right now (${error.partnerCenterStatus}).` };
        }
        return { outcome: 'refused', status: error.partnerCenterStatus, code: error.partnerCenterCode, message: error.partnerCenterDescription };
      }
      if (!(error instanceof UnavailableError)) deps.logger?.warn({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'preflight Partner Center call failed unexpectedly');
      return { outcome: 'unavailable', reason: 'Partner Center did not answer.' };
    }
  }

  async function collectGraphFacts(token: string | null, input: PreflightInput) {
    if (!token) {
      const missing = unknown<never>(`there is no Microsoft Graph token: Microsoft refused the Entra app\u2019s credentials${input.graphAppTokenRefusal?.aadsts ? ` (AADSTS${input.graphAppTokenRefusal.aadsts})` : ''} \u2014 see the Entra app secret check.`, 'no_graph_token');
      return {
        upn: undefined, memberships: missing, adminAgentsGroup: missing, entraApp: missing, partnerCenterApp: missing,
        entraSp: missing, grantedGraphRoleIds: missing, consentedGraphScopes: missing, appInAdminAgents: missing,
      };
    }
    const g = deps.graph;
    const [user, memberships, adminAgentsGroup, entraApp, partnerCenterApp, entraSp, graphSp] = await Promise.all([
      attempt('service account', () => g.user(token, input.serviceAccountObjectId)),
      attempt('memberships', async () => {
        const objects = await g.transitiveMemberOf(token, input.serviceAccountObjectId);
        return {
          roleTemplateIds: objects.filter((o) => o['@odata.type'] === '#microsoft.graph.directoryRole' && o.roleTemplateId).map((o) => o.roleTemplateId!),
          groupIds: objects.filter((o) => o['@odata.type'] === '#microsoft.graph.group').map((o) => o.id),
        };
      }),
      attempt('AdminAgents group', async () => {
        const group = await g.groupByDisplayName(token, ADMIN_AGENTS_GROUP_NAME);
        return group ? { id: group.id } : null;
      }),
      attempt('Entra app', async () => {
        const app = await g.application(token, input.entraAppId);
        return app ? toAppFacts(app) : null;
      }),
      attempt('Partner Center web app', async () => {
        const app = await g.application(token, input.partnerCenterWebAppId);
        return app ? toAppFacts(app) : null;
      }),
      attempt('Entra app service principal', async () => {
        const sp = await g.servicePrincipal(token, input.entraAppId);
        return sp ? { id: sp.id, displayName: sp.displayName } : null;
      }),
      attempt('Microsoft Graph service principal', () => g.servicePrincipal(token, GRAPH_APP_ID)),
    ]);

    const spAndGraph = both(entraSp, graphSp, (sp, graphSpOrNull) => ({ sp, graphSpId: graphSpOrNull?.id ?? null }));
    const [grantedGraphRoleIds, consentedGraphScopes, appInAdminAgents] = await Promise.all([
      after(spAndGraph, async ({ sp, graphSpId }) => {
        if (!sp || !graphSpId) return [];
        return (await g.appRoleAssignments(token, sp.id)).filter((a) => a.resourceId === graphSpId).map((a) => a.appRoleId);
      }, 'app role assignments'),
      after(spAndGraph, async ({ sp, graphSpId }) => {
        if (!sp || !graphSpId) return [];
        const grants = await g.oauth2PermissionGrants(token, sp.id);
        return grants.filter((x) => x.consentType === 'AllPrincipals' && x.resourceId === graphSpId).flatMap((x) => x.scope.split(' ').filter(Boolean));
      }, 'delegated grants'),
      after(both(entraSp, adminAgentsGroup, (sp, group) => ({ sp, group })),
        async ({ sp, group }) => (sp && group ? (await g.checkMemberGroups(token, sp.id, [group.id])).includes(group.id) : false),
        'app group membership'),
    ]);

    return {
      upn: user.known ? user.value?.userPrincipalName : undefined,
      memberships, adminAgentsGroup, entraApp, partnerCenterApp, entraSp, grantedGraphRoleIds, consentedGraphScopes, appInAdminAgents,
    };
  }

  async function collectFacts(input: PreflightInput): Promise<PreflightFacts> {
    const claims = input.partnerCenterUserToken ? input.partnerCenterUserClaims : {};
    const [graphFacts, partnerCenter] = await Promise.all([
      collectGraphFacts(input.graphAppToken, input),
      partnerCenterAnswer(input.partnerCenterUserToken, input.partnerCenterTokenRefusal, input.correlationId),
    ]);
    const claimsUpn = typeof claims.upn === 'string' ? claims.upn : undefined;
    const upn = graphFacts.upn ?? claimsUpn;
    // Token roles only count as evidence for the same user.
    const wids = claims.oid === input.serviceAccountObjectId ? stringArray(claims.wids) : undefined;
    const graphTokenRoles = tokenRoles(input.graphAppToken);
    return {
      serviceAccount: { objectId: input.serviceAccountObjectId, ...(upn ? { upn } : {}) },
      serviceAccountMemberships: graphFacts.memberships,
      ...(wids ? { signInRoleTemplateIds: wids } : {}),
      ...(input.partnerCenterUserToken ? { signInMethods: stringArray(claims.amr) ?? [] } : {}),
      adminAgentsGroup: graphFacts.adminAgentsGroup,
      entraApp: graphFacts.entraApp,
      entraAppServicePrincipal: graphFacts.entraSp,
      grantedGraphRoleIds: graphFacts.grantedGraphRoleIds,
      ...(graphTokenRoles ? { graphTokenRoles } : {}),
      consentedGraphScopes: graphFacts.consentedGraphScopes,
      appInAdminAgents: graphFacts.appInAdminAgents,
      entraSecret: { hint: input.entraSecretHint, ...(input.graphAppTokenRefusal ? { refusal: input.graphAppTokenRefusal } : {}) },
      partnerCenterApp: graphFacts.partnerCenterApp,
      partnerCenterSecret: { hint: input.partnerCenterSecretHint },
      partnerCenter,
    };
  }

  return {
    collectFacts,

    /** Runs every check; safe to run again after the partner fixed something in Microsoft. */
    async gather(input: PreflightInput): Promise<PreflightResult> {
      const facts = await collectFacts(input);
      const checkedAt = now();
      const checks = evaluatePreflight(facts, checkedAt);
      return { checks, allRequiredPassed: allRequiredPassed(checks), checkedAt };
    },
  };
}

export type Preflight = ReturnType<typeof createPreflight>;
