// Who is calling Graph: verify the bearer token like Graph does and derive the caller's
// permissions from `scp` (delegated) or `roles` (application).
import { tenantById } from '../directory.ts';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from '../microsoft-catalog.ts';
import type { ScenarioTenant } from '../scenarios/types.ts';
import type { EmulatorState } from '../state.ts';
import { verifyAccessToken } from '../identity/tokens.ts';
import { GraphError, graphErrors } from './errors.ts';
import type { PermissionRule } from './permissions.ts';

export interface GraphCaller {
  tenant: ScenarioTenant;
  isApp: boolean;
  permissions: Set<string>;
  appId: string;
  /** The signed-in user (delegated) or the client's service principal (application). */
  objectId: string;
}

const tokenMessages = {
  missing: 'Access token is empty.',
  malformed: 'IDX14100: JWT is not well formed, there are no dots (.).',
  signature: 'Access token validation failure.',
  expired: 'Lifetime validation failed, the token is expired.',
  audience: 'Access token validation failure. Invalid audience.',
} as const;

export async function authenticateGraph(state: EmulatorState, authorization: string | undefined): Promise<GraphCaller> {
  const result = await verifyAccessToken(state, authorization, [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID]);
  if (!result.ok) throw graphErrors.token(tokenMessages[result.reason]);
  const claims = result.claims;
  const tenant = tenantById(state.scenario, String(claims.tid));
  if (!tenant) throw graphErrors.token('Access token validation failure. Invalid tenant.');
  const isApp = claims.idtyp === 'app' || claims.scp === undefined;
  const permissions = new Set<string>(isApp ? ((claims.roles as string[] | undefined) ?? []) : String(claims.scp).split(' ').filter(Boolean));
  return { tenant, isApp, permissions, appId: String(claims.appid), objectId: String(claims.oid) };
}

export function requirePermission(caller: GraphCaller, rule: PermissionRule): void {
  const accepted = caller.isApp ? rule.application : rule.delegated;
  if (!accepted.some((p) => caller.permissions.has(p))) throw graphErrors.denied();
}

export function requireUser(caller: GraphCaller): string {
  if (caller.isApp) throw graphErrors.meNeedsUser();
  return caller.objectId;
}

export { GraphError };
