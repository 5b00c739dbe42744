import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../../../contracts/common.ts';
import { credentialLinkSentSchema } from '../../../contracts/credentials.ts';
import { checkAgainResultSchema, offboardingRequestedSchema, reconnectLinkSentSchema, customerListSchema, customerQuerySchema, statusAccessSchema, statusSchema, tenantSummarySchema } from '../../../contracts/sync.ts';
import type { App } from '../../app/http.ts';
import { followOverEvents } from '../../lib/event-stream.ts';
import { z } from 'zod';
import { requestMeta, signupSessionCookie } from '../signup/signup.routes.ts';
import type { SignupService } from '../signup/signup.service.ts';
import type { RateLimitService } from '../ratelimit/ratelimit.service.ts';
import type { Offboarding } from '../partners/partners.offboarding.ts';
import type { CredentialRotation } from '../partners/partners.rotation.ts';
import type { SyncService } from './sync.service.ts';
import type { SyncStatus } from './sync.status.ts';

// The status page and tenant view API. Credentials: the signup session cookie of the browser that
// connected, or the status cookie set from a status link's key (POST /api/status/access).

export function statusCookie(publicUrl: string) {
  const secure = publicUrl.startsWith('https://');
  const name = secure ? '__Host-status_key' : 'status_key';
  return {
    read: (request: FastifyRequest): string | undefined => {
      const value = request.cookies[name];
      return value && value.length <= 200 ? value : undefined;
    },
    write: (reply: FastifyReply, value: string, expiresAt: Date) =>
      reply.setCookie(name, value, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: expiresAt }),
    clear: (reply: FastifyReply) => reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure }),
  };
}

export function registerSyncRoutes(
  app: App,
  deps: {
    status: SyncStatus;
    signup: Pick<SignupService, 'endSession' | 'requestReconnectLink'>;
    sync: Pick<SyncService, 'checkAgain'>;
    rateLimits: Pick<RateLimitService, 'hit'>;
    offboarding: Pick<Offboarding, 'request'>;
    rotation: Pick<CredentialRotation, 'requestFromStatus'>;
    publicUrl: string;
  },
) {
  const { status } = deps;
  const session = signupSessionCookie(deps.publicUrl);
  const statusKey = statusCookie(deps.publicUrl);
  const errors = { 400: errorBody, 404: errorBody, 409: errorBody, 429: errorBody };
  const partnerOf = (request: FastifyRequest) => status.partnerFor({ session: session.read(request), statusKey: statusKey.read(request) });
  // Open streams end when the server stops, or close() would wait for them.
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
  });

  app.post(
    '/api/status/access',
    {
      schema: {
        tags: ['status'],
        summary: 'Open the status page from an email link: the key becomes an HttpOnly cookie',
        body: statusAccessSchema,
        response: { 200: statusSchema, ...errors },
      },
    },
    async (request, reply) => {
      const expiresAt = status.checkStatusKey(request.body.key);
      statusKey.write(reply, request.body.key, expiresAt);
      return status.status((await status.partnerFor({ session: undefined, statusKey: request.body.key })));
    },
  );

  app.post(
    '/api/session/sign-out',
    {
      schema: {
        tags: ['status'],
        summary: 'Sign out: this browser\u2019s partner session ends and its status cookie is removed',
        description: 'Always answers 200. The status link in the email keeps working until it expires.',
        response: { 200: z.object({ status: z.literal('signed_out') }) },
      },
    },
    async (request, reply) => {
      await deps.signup.endSession(session.read(request), requestMeta(request));
      session.clear(reply);
      statusKey.clear(reply);
      return { status: 'signed_out' as const };
    },
  );

  app.post(
    '/api/status/check-again',
    {
      schema: {
        tags: ['status'],
        summary: 'The partner fixed the finding in Microsoft: the failing check runs again; when it passes the import resumes',
        response: { 200: checkAgainResultSchema, ...errors },
      },
    },
    async (request) => {
      const partnerId = await partnerOf(request);
      // Each check asks Microsoft for a token and a page of customers: a few per hour are plenty.
      await deps.rateLimits.hit([{ limit: { name: 'status:check-again', max: 12, windowSeconds: 3600 }, subject: partnerId }], 'The check ran several times in the last hour.');
      return deps.sync.checkAgain(partnerId, { type: 'partner', ip: request.ip });
    },
  );

  app.post(
    '/api/status/offboarding-request',
    {
      schema: {
        tags: ['status'],
        summary: 'Disconnect from TotalOne: a one-time confirmation link (48 hours) is emailed to the primary contact, who alone can confirm (3 an hour)',
        response: { 200: offboardingRequestedSchema, ...errors },
      },
    },
    async (request) => deps.offboarding.request(await partnerOf(request), request.ip),
  );

  app.post(
    '/api/status/reconnect-link',
    {
      schema: {
        tags: ['status'],
        summary: 'Microsoft no longer accepts the stored sign-in (sync_failed), or a finding is open (needs_attention): a reconnect link is emailed to the primary contact (3 an hour)',
        response: { 200: reconnectLinkSentSchema, ...errors },
      },
    },
    async (request) => deps.signup.requestReconnectLink(await partnerOf(request), requestMeta(request)),
  );

  app.post(
    '/api/status/credential-update-link',
    {
      schema: {
        tags: ['status'],
        summary: 'Update the Microsoft secrets: a one-time link (48 hours) is emailed to the primary contact (3 an hour); earlier update links stop working',
        response: { 200: credentialLinkSentSchema, ...errors },
      },
    },
    async (request) => deps.rotation.requestFromStatus(await partnerOf(request), requestMeta(request)),
  );

  app.get('/api/status', { schema: { tags: ['status'], summary: 'Steps done, customer import progress and errors, in plain words', response: { 200: statusSchema, ...errors } } }, async (request) =>
    status.status(await partnerOf(request)),
  );

  app.get(
    '/api/status/events',
    { schema: { tags: ['status'], summary: 'Server-sent events: `status` with the same body as GET /api/status whenever it changes; ends when the import is done' } },
    async (request, reply) => {
      const partnerId = await partnerOf(request);
      await followOverEvents(request, reply, {
        event: 'status',
        first: await status.status(partnerId),
        read: () => status.status(partnerId),
        settled: (view) => status.isSettled(view),
        // A sign-out, an ended session or a closed partner ends the stream too.
        allowed: async () => (await partnerOf(request)) === partnerId,
        stopping: () => stopping,
        onReadError: (error) => request.log.warn({ err: error }, 'status stream could not read the status'),
      });
    },
  );

  app.get(
    '/api/tenant/customers',
    { schema: { tags: ['tenant'], summary: 'The imported customers: prefix search on name or domain, sort, keyset paging', querystring: customerQuerySchema, response: { 200: customerListSchema, ...errors } } },
    async (request) => status.customers(await partnerOf(request), request.query),
  );

  app.get('/api/tenant/summary', { schema: { tags: ['tenant'], summary: 'Customer count and the last sync', response: { 200: tenantSummarySchema, ...errors } } }, async (request) =>
    status.summary(await partnerOf(request)),
  );
}
