import { z } from 'zod';
import { errorBody } from '../../../contracts/common.ts';
import { connectStateSchema, entraAppSchema, microsoftFixSchema, partnerCenterAppSchema, signInStartSchema } from '../../../contracts/connect.ts';
import type { App } from '../../app/http.ts';
import { requestMeta, signupSessionCookie } from '../signup/signup.routes.ts';
import type { ConnectService } from './connect.service.ts';
import type { ConnectSignIn } from './connect.signin.ts';
import type { ConnectWizard } from './connect.wizard.ts';

// Steps 2 to 6 of the connect wizard. Every answer is the wizard's whole state, so the page can
// render where the partner stands after any step, reload or back/forward.

export function registerConnectWizardRoutes(app: App, deps: { connect: ConnectService; wizard: ConnectWizard; signIn: ConnectSignIn; publicUrl: string }) {
  const { connect, wizard, signIn } = deps;
  const session = signupSessionCookie(deps.publicUrl);
  const errors = { 400: errorBody, 404: errorBody, 409: errorBody, 503: errorBody };

  app.get('/api/connect/state', { schema: { tags: ['connect'], summary: 'The connect wizard\u2019s state for this browser', response: { 200: connectStateSchema, ...errors } } }, async (request) =>
    connect.state(session.read(request)),
  );

  app.post(
    '/api/connect/entra-app',
    { schema: { tags: ['connect'], summary: 'Step 2: the Entra app (tenant, client ID, client secret), checked live with Microsoft', body: entraAppSchema, response: { 200: connectStateSchema, ...errors } } },
    async (request) => {
      await wizard.saveEntraApp(session.read(request), request.body, requestMeta(request));
      return connect.state(session.read(request));
    },
  );

  app.post(
    '/api/connect/partner-center-app',
    {
      schema: {
        tags: ['connect'],
        summary: 'Step 3: the Partner Center web app (ID, secret, expiry) and native app ID, checked live with Microsoft',
        body: partnerCenterAppSchema,
        response: { 200: connectStateSchema, ...errors },
      },
    },
    async (request) => {
      await wizard.savePartnerCenterApp(session.read(request), request.body, requestMeta(request));
      return connect.state(session.read(request));
    },
  );

  app.post(
    '/api/connect/microsoft-sign-in',
    { schema: { tags: ['connect'], summary: 'Step 4: start the Microsoft sign-in of the service account (returns the address to open)', response: { 200: signInStartSchema, ...errors } } },
    async (request) => signIn.startSignIn(session.read(request)),
  );

  // Microsoft sends the browser here. The code and state in this URL are used once and the browser
  // is sent on at once to a clean address; request logs never carry query strings.
  app.get(
    '/api/connect/microsoft/callback',
    { schema: { hide: true, querystring: z.record(z.string(), z.string().max(4096)).optional() } },
    async (request, reply) => {
      const url = new URL(request.url, deps.publicUrl);
      try {
        await signIn.completeSignIn(session.read(request), url, requestMeta(request));
      } catch (error) {
        // The wizard page explains whatever is wrong (no session, vault down, ...); a JSON error
        // page is no answer to a browser navigation.
        request.log.warn({ err: error }, 'Microsoft sign-in callback failed');
      }
      return reply.header('cache-control', 'no-store').redirect('/connect', 303);
    },
  );

  app.post(
    '/api/connect/preflight',
    { schema: { tags: ['connect'], summary: 'Step 5: run every check again (after fixing something in Microsoft)', response: { 200: connectStateSchema, ...errors } } },
    async (request) => {
      await signIn.rerunPreflight(session.read(request));
      return connect.state(session.read(request));
    },
  );

  app.post(
    '/api/connect/microsoft-fixes',
    {
      schema: {
        tags: ['connect'],
        summary: 'Fix an AdminAgents membership in the partner\u2019s directory (with the Entra app\u2019s permissions), then run the checks again',
        body: microsoftFixSchema,
        response: { 200: connectStateSchema, ...errors },
      },
    },
    async (request) => {
      await signIn.fixInMicrosoft(session.read(request), request.body.fix, requestMeta(request));
      return connect.state(session.read(request));
    },
  );

  app.post(
    '/api/connect/commit',
    { schema: { tags: ['connect'], summary: 'Step 6: complete the connection (spends the signup link, starts the customer import)', response: { 200: connectStateSchema, ...errors } } },
    async (request) => {
      await signIn.commit(session.read(request), requestMeta(request));
      return connect.state(session.read(request));
    },
  );
}
