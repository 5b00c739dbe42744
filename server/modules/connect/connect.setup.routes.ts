import { z } from 'zod';
import { errorBody } from '../../../contracts/common.ts';
import { setupStartSchema, setupViewSchema } from '../../../contracts/connect.ts';
import type { App } from '../../app/http.ts';
import { followOverEvents } from '../../lib/event-stream.ts';
import { requestMeta, signupSessionCookie } from '../signup/signup.routes.ts';
import type { ConnectSetup } from './connect.setup.ts';

// "Set up Microsoft for me" (Step 3.2 of the wizard): what it asks for, the start of the
// administrator's sign-in, Microsoft's redirect back (which starts the run and answers at once), and
// the run's progress: GET for the latest run, server-sent events while it runs.

const PENDING_COOKIE = 'connect_setup';

export function registerConnectSetupRoutes(app: App, deps: { setup: ConnectSetup; publicUrl: string }) {
  const { setup } = deps;
  const session = signupSessionCookie(deps.publicUrl);
  const secure = deps.publicUrl.startsWith('https://');
  const cookie = { path: '/api/connect/setup', httpOnly: true, sameSite: 'lax' as const, secure };
  const errors = { 400: errorBody, 404: errorBody, 409: errorBody, 503: errorBody };
  // Open streams end when the server stops, or close() would wait for them.
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
  });

  app.get(
    '/api/connect/setup',
    { schema: { tags: ['connect'], summary: 'The automatic Microsoft setup: the delegated permissions it asks for (and why) and the last run\u2019s actions', response: { 200: setupViewSchema, ...errors } } },
    async (request) => setup.view(session.read(request)),
  );

  app.get(
    '/api/connect/setup/events',
    { schema: { tags: ['connect'], summary: 'Server-sent events: `setup` with the same body as GET /api/connect/setup whenever the run shows a new action or ends; the stream ends when no run is under way' } },
    async (request, reply) => {
      const sessionId = session.read(request);
      await followOverEvents(request, reply, {
        event: 'setup',
        first: await setup.view(sessionId),
        read: () => setup.view(sessionId),
        settled: (view) => setup.settled(view),
        stopping: () => stopping,
        onReadError: (error) => request.log.warn({ err: error }, 'setup stream could not read the run'),
      });
    },
  );

  app.post(
    '/api/connect/setup',
    {
      schema: {
        tags: ['connect'],
        summary: 'Start the automatic Microsoft setup: returns the address where an administrator signs in to TotalOne\u2019s setup application',
        body: setupStartSchema,
        response: { 200: z.object({ authorizeUrl: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const { authorizeUrl, pending } = await setup.start(session.read(request), {
        addToAdminAgents: request.body.addToAdminAgents ?? false,
        ...(request.body.partnerCenterWebAppId ? { partnerCenterWebAppId: request.body.partnerCenterWebAppId } : {}),
        ...(request.body.serviceAccountUpn ? { serviceAccountUpn: request.body.serviceAccountUpn } : {}),
        fixServiceAccountGroup: request.body.fixServiceAccountGroup ?? true,
      });
      reply.setCookie(PENDING_COOKIE, pending, { ...cookie, maxAge: 15 * 60 });
      return { authorizeUrl };
    },
  );

  // Microsoft sends the administrator's browser here: the run starts and the wizard follows it.
  app.get(
    '/api/connect/setup/callback',
    { schema: { hide: true, querystring: z.record(z.string(), z.string().max(4096)).optional() } },
    async (request, reply) => {
      const url = new URL(request.url, deps.publicUrl);
      try {
        await setup.complete(session.read(request), url, request.cookies[PENDING_COOKIE], requestMeta(request));
      } catch (error) {
        request.log.warn({ err: error }, 'Microsoft setup callback failed');
      }
      reply.clearCookie(PENDING_COOKIE, cookie);
      return reply.header('cache-control', 'no-store').redirect('/connect#setup', 303);
    },
  );
}
