import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBody, searchText } from '../../../contracts/common.ts';
import {
  actionResultSchema,
  secretExpiryListSchema,
  auditPageSchema,
  auditQuerySchema,
  changeRoleSchema,
  createOperatorSchema,
  idParamsSchema,
  inviteCompletedSchema,
  invitePasswordSchema,
  inviteTokenSchema,
  inviteTotpConfirmSchema,
  inviteViewSchema,
  operatorInvitedSchema,
  operatorListSchema,
  operatorSessionSchema,
  operatorViewSchema,
  overviewSchema,
  partnerDetailSchema,
  partnerListQuerySchema,
  partnerListSchema,
  periodQuerySchema,
  reasonSchema,
  signedOutSchema,
  signInSchema,
  supportDetailSchema,
  supportListQuerySchema,
  supportListSchema,
  supportReplySchema,
  totpEnrolmentSchema,
} from '../../../contracts/operators.ts';
import { customerListSchema, customerQuerySchema, gdapSummarySchema } from '../../../contracts/sync.ts';
import type { App } from '../../app/http.ts';
import type { SyncStatus } from '../sync/sync.status.ts';
import type { Clock } from '../../lib/clock.ts';
import { SESSION_ABSOLUTE_MS, type Meta, type OperatorAuth, type SignedInOperator } from './operators.auth.ts';
import type { Console } from './operators.console.ts';
import { toOperatorView } from './operators.presenters.ts';

// Console HTTP API. Invitation and sign-in routes are public (the invite token or the credentials
// are what they check); every other /api/console route sits in a scope whose onRequest hook demands
// an operator session before anything else runs. A partner's signup_session cookie is never read here.

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 410: errorBody, 429: errorBody };
const tags = ['console'];

function meta(request: FastifyRequest): Meta {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 300) };
}

/** `__Host-` on https (no Domain, Path=/, Secure), HttpOnly, SameSite=Strict. */
export function operatorSessionCookie(publicUrl: string) {
  const secure = publicUrl.startsWith('https://');
  const name = secure ? '__Host-operator_session' : 'operator_session';
  const options = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure };
  return {
    name,
    read: (request: FastifyRequest): string | undefined => {
      const value = request.cookies[name];
      return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    },
    write: (reply: FastifyReply, value: string) => reply.setCookie(name, value, { ...options, maxAge: SESSION_ABSOLUTE_MS / 1000 }),
    clear: (reply: FastifyReply) => reply.clearCookie(name, options),
  };
}

export function registerOperatorRoutes(app: App, deps: { auth: OperatorAuth; console: Console; publicUrl: string; clock: Clock; customers?: Pick<SyncStatus, 'customers' | 'gdapSummary'> }) {
  const { auth } = deps;
  const cookie = operatorSessionCookie(deps.publicUrl);
  const signedIn = new WeakMap<FastifyRequest, SignedInOperator>();
  const operatorOf = (request: FastifyRequest): SignedInOperator => {
    const operator = signedIn.get(request);
    if (!operator) throw new Error('console route without an authenticated operator');
    return operator;
  };
  const admin = (request: FastifyRequest) => {
    const operator = operatorOf(request);
    auth.requireAdmin(operator);
    return operator;
  };
  // Route-level onRequest: runs right after the session check, before the body is even parsed.
  const adminOnly = async (request: FastifyRequest) => {
    admin(request);
  };
  const noStore = (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    reply.header('cache-control', 'no-store');
    done(null, payload);
  };

  // --- public: invitation and sign-in ---
  app.register(async (scope: FastifyInstance) => {
    const api = scope.withTypeProvider<ZodTypeProvider>();
    api.addHook('onSend', noStore);

    api.post('/api/console/invites/inspect', { schema: { tags, summary: 'Look at an operator invitation without using it', body: inviteTokenSchema, response: { 200: inviteViewSchema, ...errors } } }, async (request) =>
      auth.inspectInvite(request.body.token),
    );
    api.post('/api/console/invites/password', { schema: { tags, summary: 'Invitation step 1: choose the password', body: invitePasswordSchema, response: { 200: z.object({ step: z.literal('totp') }), ...errors } } }, async (request) =>
      auth.setInvitePassword(request.body.token, request.body.password, meta(request)),
    );
    api.post('/api/console/invites/totp', { schema: { tags, summary: 'Invitation step 2: a new TOTP secret for the authenticator app (shown once)', body: inviteTokenSchema, response: { 200: totpEnrolmentSchema, ...errors } } }, async (request) =>
      auth.startTotpEnrolment(request.body.token, meta(request)),
    );
    api.post('/api/console/invites/totp/confirm', { schema: { tags, summary: 'Invitation step 3: confirm with a code; the account becomes active', body: inviteTotpConfirmSchema, response: { 200: inviteCompletedSchema, ...errors } } }, async (request) =>
      auth.confirmTotp(request.body.token, request.body.code, meta(request)),
    );
    api.post('/api/console/session', { schema: { tags, summary: 'Sign in with email, password and authenticator code', body: signInSchema, response: { 200: operatorSessionSchema, ...errors } } }, async (request, reply) => {
      const { cookie: value, session } = await auth.signIn(request.body, meta(request), cookie.read(request));
      cookie.write(reply, value);
      return session.view;
    });
  });

  // --- everything else needs an operator session ---
  app.register(async (scope: FastifyInstance) => {
    const api = scope.withTypeProvider<ZodTypeProvider>();
    api.addHook('onSend', noStore);
    api.addHook('onRequest', async (request) => {
      signedIn.set(request, await auth.authenticate(cookie.read(request)));
    });

    api.get('/api/console/session', { schema: { tags, summary: 'The signed-in operator and when the session ends', response: { 200: operatorSessionSchema, ...errors } } }, async (request) => operatorOf(request).view);

    api.post('/api/console/session/sign-out', { schema: { tags, summary: 'Sign out this browser', response: { 200: signedOutSchema, ...errors } } }, async (request, reply) => {
      const ended = await auth.signOut(operatorOf(request), meta(request));
      cookie.clear(reply);
      return { status: 'signed_out' as const, sessionsEnded: ended };
    });
    api.post('/api/console/session/sign-out-everywhere', { schema: { tags, summary: 'End every session of this operator, on every device', response: { 200: signedOutSchema, ...errors } } }, async (request, reply) => {
      const ended = await auth.signOutEverywhere(operatorOf(request), meta(request));
      cookie.clear(reply);
      return { status: 'signed_out' as const, sessionsEnded: ended };
    });

    api.get('/api/console/overview', { schema: { tags, summary: 'Funnel by state over a period, drop-off, recent activity', querystring: periodQuerySchema, response: { 200: overviewSchema, ...errors } } }, async (request) =>
      deps.console.overview(request.query),
    );
    api.get('/api/console/secret-expiries', { schema: { tags, summary: 'Partners by the secret that ends first (Entra app secret, Partner Center web app key)', response: { 200: secretExpiryListSchema, ...errors } } }, async () =>
      deps.console.secretExpiries(),
    );
    api.get('/api/console/partners', { schema: { tags, summary: 'Signups: search, filter by state, sort, page', querystring: partnerListQuerySchema, response: { 200: partnerListSchema, ...errors } } }, async (request) =>
      deps.console.listPartners(request.query),
    );
    api.get('/api/console/partners/:id', { schema: { tags, summary: 'One signup: company, contacts, links, emails, checks, imports, masked credentials, timeline', params: idParamsSchema, response: { 200: partnerDetailSchema, ...errors } } }, async (request) =>
      deps.console.partnerDetail(request.params.id),
    );

    const customers = deps.customers;
    if (customers) {
      api.get(
        '/api/console/partners/:id/customers',
        {
          schema: {
            tags,
            summary: 'The partner\u2019s imported customers with what GDAP lets TotalOne do there; access=no_admin_access lists those it cannot administer yet',
            params: idParamsSchema,
            querystring: customerQuerySchema,
            response: { 200: customerListSchema.extend({ gdap: gdapSummarySchema.nullable() }), ...errors },
          },
        },
        async (request) => {
          const [list, gdap] = await Promise.all([customers.customers(request.params.id, request.query), customers.gdapSummary(request.params.id)]);
          return { ...list, gdap };
        },
      );
    }

    const actions = [
      ['resend-verification', 'Re-send the confirmation email (state registered)', 'resendVerification'],
      ['signup-links', 'Issue a new signup link; every earlier one stops working at once', 'issueSignupLink'],
      ['preflight-runs', 'Run the preflight checks again', 'rerunPreflight'],
      ['sync-runs', 'Restart the customer import (a failed one, or one in progress: that run ends and a new one starts)', 'restartSync'],
      ['sync-stops', 'Stop the customer import in progress (and any import waiting to start); it can be restarted', 'stopSync'],
      ['attention-checks', 'Re-run the failing check of the open finding; when it passes the customer import resumes', 'recheckAttention'],
      ['suspension', 'Suspend the signup (its open links stop working)', 'suspend'],
      ['offboarding', 'Offboard the partner: syncs stop, every stored credential is destroyed, both contacts are told, customers and contacts are deleted after the retention period', 'offboard'],
    ] as const;
    for (const [path, summary, method] of actions) {
      api.post(`/api/console/partners/:id/${path}`, { schema: { tags, summary, params: idParamsSchema, body: reasonSchema, response: { 200: actionResultSchema, ...errors } } }, async (request) => {
        const result = await deps.console[method](request.params.id, request.body.reason, operatorOf(request), meta(request));
        return { status: 'done' as const, ...result };
      });
    }

    api.get('/api/console/support-requests', { schema: { tags, summary: 'Support inbox', querystring: supportListQuerySchema, response: { 200: supportListSchema, ...errors } } }, async (request) =>
      deps.console.listSupport(request.query),
    );
    api.get('/api/console/support-requests/:id', { schema: { tags, summary: 'One support request with its replies', params: idParamsSchema, response: { 200: supportDetailSchema, ...errors } } }, async (request) =>
      deps.console.supportDetail(request.params.id),
    );
    api.post('/api/console/support-requests/:id/replies', { schema: { tags, summary: 'Answer by email (through the outbox); marks the request handled unless told not to', params: idParamsSchema, body: supportReplySchema, response: { 200: supportDetailSchema, ...errors } } }, async (request) =>
      deps.console.replySupport(request.params.id, request.body, operatorOf(request), meta(request)),
    );
    api.post(
      '/api/console/support-requests/:id/status',
      { schema: { tags, summary: 'Mark handled or open again', params: idParamsSchema, body: z.object({ status: z.enum(['open', 'handled']), reason: searchText('Reason', 500).optional() }), response: { 200: supportDetailSchema, ...errors } } },
      async (request) => deps.console.setSupportHandled(request.params.id, request.body.status === 'handled', request.body.reason, operatorOf(request), meta(request)),
    );

    api.get('/api/console/audit-events', { schema: { tags, summary: 'Search the audit log (newest first, keyset paging with `before`)', querystring: auditQuerySchema, response: { 200: auditPageSchema, ...errors } } }, async (request) =>
      deps.console.searchAudit(request.query),
    );

    // --- operator management: administrators only ---
    api.get('/api/console/operators', { onRequest: adminOnly, schema: { tags, summary: 'Operators (admin)', response: { 200: operatorListSchema, ...errors } } }, async (request) => {
      admin(request);
      const now = deps.clock.now();
      return { items: (await auth.list()).map((o) => toOperatorView(o, now)) };
    });
    api.post('/api/console/operators', { onRequest: adminOnly, schema: { tags, summary: 'Create an operator and email the invitation (admin)', body: createOperatorSchema, response: { 201: operatorInvitedSchema, ...errors } } }, async (request, reply) => {
      const actor = admin(request);
      const created = await auth.createOperator(request.body, { type: 'operator', id: actor.id, email: actor.email, ip: request.ip });
      return reply.status(201).send({ operator: toOperatorView(created.operator, deps.clock.now()), inviteExpiresAt: created.inviteExpiresAt.toISOString(), message: `An invitation is on its way to ${created.operator.email}; it is valid for 72 hours.` });
    });
    api.post('/api/console/operators/:id/invites', { onRequest: adminOnly, schema: { tags, summary: 'Send a new invitation; the earlier one stops working (admin)', params: idParamsSchema, response: { 200: operatorInvitedSchema, ...errors } } }, async (request) => {
      const actor = admin(request);
      const sent = await auth.reinvite(request.params.id, { type: 'operator', id: actor.id, email: actor.email, ip: request.ip });
      return { operator: toOperatorView(sent.operator, deps.clock.now()), inviteExpiresAt: sent.inviteExpiresAt.toISOString(), message: `A new invitation is on its way to ${sent.operator.email}.` };
    });
    api.post('/api/console/operators/:id/role', { onRequest: adminOnly, schema: { tags, summary: 'Change an operator\u2019s role (admin)', params: idParamsSchema, body: changeRoleSchema, response: { 200: operatorViewSchema, ...errors } } }, async (request) => {
      const actor = admin(request);
      const changed = await auth.changeRole(request.params.id, request.body.role, request.body.reason, { type: 'operator', id: actor.id, email: actor.email, ip: request.ip });
      return toOperatorView(changed, deps.clock.now());
    });
    api.post('/api/console/operators/:id/disable', { onRequest: adminOnly, schema: { tags, summary: 'Disable an operator and end its sessions (admin)', params: idParamsSchema, body: reasonSchema, response: { 200: operatorViewSchema, ...errors } } }, async (request) => {
      const actor = admin(request);
      const disabled = await auth.disable(request.params.id, request.body.reason, { type: 'operator', id: actor.id, email: actor.email, ip: request.ip });
      return toOperatorView(disabled, deps.clock.now());
    });
  });
}
