// Graph: the partner's GDAP relationships and their access assignments (v1.0), read-only.
//   GET /tenantRelationships/delegatedAdminRelationships        $filter, $top (<= 300), @odata.nextLink
//   GET /tenantRelationships/delegatedAdminRelationships/{id}
//   GET /tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments
// https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships?view=graph-rest-1.0
// https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-list-accessassignments?view=graph-rest-1.0
// Both need DelegatedAdminRelationship.Read.All (or ReadWrite.All), delegated or application.
import { customerCount } from '../partner-center/customers.ts';
import { requirePermission } from './auth.ts';
import { graphErrors } from './errors.ts';
import { accessAssignments, findRelationship, relationshipAt, toRelationship } from './gdap.ts';
import { applySelect, parseFilter } from './odata.ts';
import { permissions } from './permissions.ts';
import type { GraphContext, GraphResult, GraphRoute } from './router.ts';

const MAX_TOP = 300;
const DEFAULT_TOP = 100;
const RELATIONSHIP_FILTERS = ['status', 'displayName', 'customer/tenantId', 'customer/displayName', 'id'];
const ASSIGNMENT_FILTERS = ['status', 'id', 'accessContainer/accessContainerId'];

type Item = Record<string, unknown>;

function valueAt(item: Item, path: string): unknown {
  let current: unknown = item;
  for (const part of path.split('/')) {
    if (typeof current !== 'object' || current === null) return undefined;
    const key = Object.keys(current).find((k) => k.toLowerCase() === part.toLowerCase());
    current = key ? (current as Item)[key] : undefined;
  }
  return current;
}

/** `$filter` with eq / startswith joined by `and`, over the properties the list supports. */
function matcher(filter: string | undefined, allowed: string[], typeName: string): (item: Item) => boolean {
  if (!filter) return () => true;
  const clauses = parseFilter(filter);
  for (const c of clauses) {
    if (!allowed.some((a) => a.toLowerCase() === c.property.toLowerCase())) throw graphErrors.unsupportedFilter(c.property, typeName);
  }
  return (item) => clauses.every((c) => {
    const actual = valueAt(item, c.property);
    if (c.op === 'startswith') return typeof actual === 'string' && actual.toLowerCase().startsWith(String(c.value).toLowerCase());
    if (typeof actual === 'string' && typeof c.value === 'string') return actual.toLowerCase() === c.value.toLowerCase();
    return actual === c.value;
  });
}

function top(ctx: GraphContext): number {
  const raw = ctx.query.$top;
  if (raw === undefined) return DEFAULT_TOP;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw graphErrors.badRequest(`Invalid $top value '${raw}'.`);
  return Math.min(n, MAX_TOP);
}

function readSkipToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const at = Number(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).i);
    if (Number.isInteger(at) && at >= 0) return at;
  } catch { /* below */ }
  throw graphErrors.badRequest('The $skiptoken is malformed.');
}

function nextLink(ctx: GraphContext, index: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.query)) if (v !== undefined && k.toLowerCase() !== '$skiptoken') params.set(k, v);
  params.set('$skiptoken', Buffer.from(JSON.stringify({ i: index })).toString('base64url'));
  return `${ctx.root}${ctx.path}?${params.toString().replace(/%24/g, '$')}`;
}

function page(ctx: GraphContext, contextName: string, value: Item[], next?: string): GraphResult {
  return {
    body: {
      '@odata.context': `${ctx.root}/tenantRelationships/$metadata#${contextName}`,
      ...(next ? { '@odata.nextLink': next } : {}),
      value: value.map((v) => applySelect(v, ctx.query.$select)),
    },
  };
}

function relationshipOr404(ctx: GraphContext, id: string) {
  const relationship = findRelationship(ctx.caller.tenant, id);
  if (!relationship) throw graphErrors.notFound(id);
  return relationship;
}


export const gdapRoutes: GraphRoute[] = [
  {
    method: 'GET', pattern: /^\/tenantRelationships\/delegatedAdminRelationships\/?$/i,
    handle: (ctx) => {
      requirePermission(ctx.caller, permissions.readDelegatedAdminRelationships);
      const tenant = ctx.caller.tenant;
      const now = ctx.state.now();
      const size = top(ctx);
      const matches = matcher(ctx.query.$filter, RELATIONSHIP_FILTERS, 'microsoft.graph.delegatedAdminRelationship');
      const count = tenant.gdap ? customerCount(tenant.partnerCenter.customers) : 0;
      // Walks the customers from the skip token on, so a page costs the same at any depth.
      const value: Item[] = [];
      let index = readSkipToken(ctx.query.$skiptoken);
      for (; index < count && value.length < size; index++) {
        const relationship = relationshipAt(tenant, index);
        if (!relationship) continue;
        const item = toRelationship(relationship, now);
        if (matches(item)) value.push(item);
      }
      return page(ctx, 'delegatedAdminRelationships', value, index < count ? nextLink(ctx, index) : undefined);
    },
  },
  {
    method: 'GET', pattern: /^\/tenantRelationships\/delegatedAdminRelationships\/([^/]+)\/?$/i,
    handle: (ctx, [id]) => {
      requirePermission(ctx.caller, permissions.readDelegatedAdminRelationships);
      const item = toRelationship(relationshipOr404(ctx, id!), ctx.state.now());
      return { body: { '@odata.context': `${ctx.root}/$metadata#tenantRelationships/delegatedAdminRelationships/$entity`, ...applySelect(item, ctx.query.$select) } };
    },
  },
  {
    method: 'GET', pattern: /^\/tenantRelationships\/delegatedAdminRelationships\/([^/]+)\/accessAssignments\/?$/i,
    handle: (ctx, [id]) => {
      requirePermission(ctx.caller, permissions.readDelegatedAdminRelationships);
      const matches = matcher(ctx.query.$filter, ASSIGNMENT_FILTERS, 'microsoft.graph.delegatedAdminAccessAssignment');
      const all = accessAssignments(relationshipOr404(ctx, id!), ctx.state.now()).filter(matches);
      const size = top(ctx);
      const from = readSkipToken(ctx.query.$skiptoken);
      const slice = all.slice(from, from + size);
      return page(ctx, 'accessAssignments', slice, from + size < all.length ? nextLink(ctx, from + size) : undefined);
    },
  },
];

