// Partner Center REST (api.partnercenter.microsoft.com/v1): customers with seek-based paging,
// partner profiles, per-partner throttling, MFA enforcement for app+user calls and faults.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tenantById, transitiveGroupIds } from '../directory.ts';
import { verifyAccessToken } from '../identity/tokens.ts';
import { PARTNER_CENTER_RESOURCE } from '../microsoft-catalog.ts';
import type { ScenarioTenant } from '../scenarios/types.ts';
import { logEvent, type EmulatorState } from '../state.ts';
import { customerAt, customerCount, findCustomer, link, toCustomer } from './customers.ts';

/**
 * Partner Center's error codes for what the emulator refuses, from "Partner Center REST error
 * codes" (https://learn.microsoft.com/en-us/partner-center/developer/error-codes); 900421 (App+User
 * call without MFA) from Partner Center's MFA enforcement documentation.
 */
export const PC_CODES = {
  /** Unauthorized 401: Access denied. */
  accessDenied: '400',
  /** Unauthorized 401: Partner Token missing in request context. */
  tokenMissing: '800001',
  /** Unauthorized 401: App+User call without MFA. */
  mfaRequired: '900421',
  /** Forbidden 403: Access denied. */
  forbidden: '2032',
  /** Forbidden 403: The supplied role doesn't have the rights to perform the requested operation. */
  roleMissing: '900150',
  /** NotFound 404: Not found. */
  notFound: '1000',
  /** BadRequest 400: Invalid input. */
  invalidInput: '400056',
  /** InternalServerError 500: Something went wrong. Try again after some time. */
  internal: '900192',
  /** 501 NotImplemented: Exception not defined (also used for a 503, which the table does not list). */
  undefinedException: '0',
} as const;

export class PartnerCenterError extends Error {
  constructor(readonly status: number, readonly code: string, description: string, readonly headers: Record<string, string> = {}) {
    super(description);
  }
}

/** Partner Center's error body: { code (string), description, data, source }. */
export function errorBody(err: PartnerCenterError) {
  return { code: err.code, description: err.message, data: [] as unknown[], source: 'PartnerFD' };
}

/** "WWW-Authenticate: OAuth realm=urn:cpsvc:cpid:{some cid}" on 401, as the error codes page shows. */
const challenge = () => ({ 'www-authenticate': `OAuth realm=urn:cpsvc:cpid:${randomUUID()}` });

function unverifiedTenantId(authorization: string | undefined): string {
  try {
    const payload = (authorization ?? '').split(' ')[1]?.split('.')[1];
    return payload ? String(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).tid ?? '') : '';
  } catch {
    return '';
  }
}

interface PartnerCaller {
  tenant: ScenarioTenant;
  isApp: boolean;
}

async function authenticate(state: EmulatorState, request: FastifyRequest): Promise<PartnerCaller> {
  const result = await verifyAccessToken(state, request.headers.authorization, [PARTNER_CENTER_RESOURCE, `${PARTNER_CENTER_RESOURCE}/`]);
  if (!result.ok) {
    if (result.reason === 'missing') throw new PartnerCenterError(401, PC_CODES.tokenMissing, 'Partner Token missing in request context.', challenge());
    throw new PartnerCenterError(401, PC_CODES.accessDenied, `Access denied: the access token is ${result.reason === 'expired' ? 'expired' : 'not valid for ' + PARTNER_CENTER_RESOURCE}.`, challenge());
  }
  const claims = result.claims;
  const tenant = tenantById(state.scenario, String(claims.tid));
  if (!tenant) throw new PartnerCenterError(401, PC_CODES.accessDenied, 'Access denied: the tenant is not a Partner Center partner.', challenge());
  const isApp = claims.idtyp === 'app' || claims.scp === undefined;
  if (isApp) {
    // App-only access is reserved to the app registered as the partner's Partner Center web app.
    if (claims.appid !== tenant.partnerCenter.webAppId) throw new PartnerCenterError(403, PC_CODES.forbidden, 'Access denied: the application is not registered as a Partner Center web app for this partner.');
    return { tenant, isApp };
  }
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (!amr.includes('mfa')) {
    throw new PartnerCenterError(401, PC_CODES.mfaRequired, 'Multi-factor authentication (MFA) is required for App+User calls to Partner Center APIs. Sign in again with MFA and use the new access token.');
  }
  const memberOf = transitiveGroupIds(tenant, String(claims.oid));
  const agentGroups = tenant.groups.filter((g) => g.displayName === 'AdminAgents' || g.displayName === 'SalesAgents').map((g) => g.id);
  if (!agentGroups.some((g) => memberOf.has(g))) {
    throw new PartnerCenterError(403, PC_CODES.roleMissing, 'The supplied role doesn\'t have the rights to perform the requested operation: the signed-in user is neither Admin agent nor Sales agent.');
  }
  return { tenant, isApp };
}

/** Fixed-window budget per partner tenant (Partner Center documents 500 requests per minute). */
function throttle(state: EmulatorState, tenant: ScenarioTenant): void {
  const { budget, windowSeconds } = tenant.partnerCenter.throttle;
  const now = state.now().getTime();
  let window = state.throttleWindows.get(tenant.id);
  if (!window || now >= window.windowStart + windowSeconds * 1000) {
    window = { windowStart: now, count: 0 };
    state.throttleWindows.set(tenant.id, window);
  }
  window.count += 1;
  if (window.count > budget) {
    const retryAfter = Math.max(1, Math.ceil((window.windowStart + windowSeconds * 1000 - now) / 1000));
    logEvent(state, 'partner_center.throttled', { retryAfter }, tenant.id);
    throw new PartnerCenterError(429, '429', `Rate limit is exceeded. Try again in ${retryAfter} seconds.`, { 'retry-after': String(retryAfter) });
  }
}

interface ContinuationState {
  t: string; // tenant
  o: number; // offset of the next page
  s: number; // page size
}

function encodeContinuation(c: ContinuationState): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeContinuation(token: string, tenantId: string): ContinuationState {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinuationState;
    if (c.t === tenantId && Number.isInteger(c.o) && Number.isInteger(c.s)) return c;
  } catch { /* fall through */ }
  throw new PartnerCenterError(400, PC_CODES.invalidInput, 'Invalid input: the continuation token is invalid or belongs to another query.');
}

function listCustomers(state: EmulatorState, request: FastifyRequest, caller: PartnerCaller) {
  const q = request.query as Record<string, string | undefined>;
  const pc = caller.tenant.partnerCenter;
  let offset = 0;
  let size = q.size !== undefined ? Number(q.size) : pc.defaultPageSize;
  if (!Number.isInteger(size) || size < 1) throw new PartnerCenterError(400, PC_CODES.invalidInput, 'Invalid input: the size parameter must be a positive integer.');
  size = Math.min(size, pc.maxPageSize);
  if (q.seekOperation !== undefined) {
    if (q.seekOperation.toLowerCase() !== 'next') throw new PartnerCenterError(400, PC_CODES.invalidInput, `Invalid input: seek operation '${q.seekOperation}' is not supported.`);
    const token = request.headers['ms-continuationtoken'];
    if (typeof token !== 'string' || !token) throw new PartnerCenterError(400, PC_CODES.invalidInput, 'Invalid input: a seek operation requires the MS-ContinuationToken header.');
    const c = decodeContinuation(token, caller.tenant.id);
    offset = c.o;
    size = c.s;
  }
  const pageNumber = Math.floor(offset / size);
  if (pc.faults.failPagesOnce.includes(pageNumber) && !state.faultCounters.failedPages.has(pageNumber)) {
    state.faultCounters.failedPages.add(pageNumber);
    throw new PartnerCenterError(500, PC_CODES.internal, 'Something went wrong. Try again after some time.');
  }
  const total = customerCount(pc.customers);
  const items = [];
  for (let i = offset; i < Math.min(offset + size, total); i++) items.push(toCustomer(customerAt(pc.customers, i)!));
  const links: Record<string, unknown> = { self: link(`/customers?size=${size}`) };
  if (offset + size < total) {
    links.next = {
      uri: `/customers?size=${size}&seekOperation=Next`,
      method: 'GET',
      headers: [{ key: 'MS-ContinuationToken', value: encodeContinuation({ t: caller.tenant.id, o: offset + size, s: size }) }],
    };
  }
  return { totalCount: items.length, items, links, attributes: { objectType: 'Collection' } };
}

function organizationProfile(tenant: ScenarioTenant) {
  return {
    id: tenant.id,
    companyName: tenant.partnerCenter.companyName,
    defaultAddress: { country: tenant.countryLetterCode, city: 'Berlin', addressLine1: 'Example Street 1', postalCode: '10115', firstName: 'Ada', lastName: 'Admin', phoneNumber: '+4930123456' },
    tenantId: tenant.id,
    domain: tenant.domains[0],
    email: `billing@${tenant.domains[0]}`,
    language: 'en',
    culture: 'en-US',
    profileType: 'OrganizationProfile',
    links: { self: link('/profiles/organization') },
    attributes: { etag: `"${tenant.id.slice(0, 8)}"`, objectType: 'OrganizationProfile' },
  };
}

function mpnProfile(tenant: ScenarioTenant) {
  return {
    partnerName: tenant.partnerCenter.companyName,
    mpnId: tenant.partnerCenter.mpnId,
    profileType: 'MpnProfile',
    links: { self: link('/profiles/mpn') },
    attributes: { objectType: 'MpnProfile' },
  };
}

export function registerPartnerCenter(app: FastifyInstance, state: EmulatorState): void {
  const wrap = (handler: (request: FastifyRequest, caller: PartnerCaller) => unknown) => async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('ms-requestid', (request.headers['ms-requestid'] as string | undefined) ?? randomUUID());
    reply.header('ms-correlationid', (request.headers['ms-correlationid'] as string | undefined) ?? randomUUID());
    reply.header('ms-cv', (request.headers['ms-cv'] as string | undefined) ?? `${randomUUID().slice(0, 8)}.0`);
    try {
      // Faults happen in front of authentication (a gateway does not check tokens), so the partner
      // is read from the token's tid without verifying it; unknown callers get the first tenant's faults.
      const faults = (tenantById(state.scenario, unverifiedTenantId(request.headers.authorization)) ?? state.scenario.tenants[0])?.partnerCenter.faults;
      if (faults && faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
      state.faultCounters.requests += 1;
      if (faults && faults.unavailableRequests > 0 && state.faultCounters.requests <= faults.unavailableRequests) {
        throw new PartnerCenterError(503, PC_CODES.undefinedException, 'The service is temporarily unavailable. Retry the request later.');
      }
      const caller = await authenticate(state, request);
      throttle(state, caller.tenant);
      const body = handler(request, caller);
      return reply.status(200).header('content-type', 'application/json; charset=utf-8').send(body);
    } catch (err) {
      if (!(err instanceof PartnerCenterError)) throw err;
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      // A throttled answer carries the gateway body Partner Center's throttling guidance shows, not its
      // error object; sent as bytes because Fastify would append a charset to the JSON content type.
      if (err.status === 429) return reply.status(429).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ statusCode: 429, message: err.message })));
      return reply.status(err.status).header('content-type', 'application/json; charset=utf-8').send(errorBody(err));
    }
  };

  app.get('/v1/customers', wrap((request, caller) => listCustomers(state, request, caller)));
  app.get('/v1/customers/:id', wrap((request, caller) => {
    const { id } = request.params as { id: string };
    const customer = findCustomer(caller.tenant.partnerCenter.customers, id);
    if (!customer) throw new PartnerCenterError(404, PC_CODES.notFound, `Not found: customer ${id} is not a customer of this partner.`);
    return toCustomer(customer);
  }));
  app.get('/v1/profiles/organization', wrap((_request, caller) => organizationProfile(caller.tenant)));
  app.get('/v1/profiles/mpn', wrap((_request, caller) => mpnProfile(caller.tenant)));
}
