import type { FastifyReply, FastifyRequest } from 'fastify';
import { acceptedBody, errorBody } from '../../../contracts/common.ts';
import { credentialLinkTokenSchema, credentialLinkViewSchema, credentialUpdateSchema, credentialUpdateStateSchema } from '../../../contracts/credentials.ts';
import { emailOnlySchema } from '../../../contracts/signup.ts';
import type { App } from '../../app/http.ts';
import { requestMeta } from '../signup/signup.routes.ts';
import { credentialUpdateRequestAccepted, CREDENTIAL_UPDATE_LINK_TTL_HOURS, type CredentialRotation } from './partners.rotation.ts';

// The credential update pages' API (`/credentials#token=...`). Opening the link changes nothing
// (inspect); Start claims it for this browser (an HttpOnly cookie of its own); the new secrets are
// checked live and stored. The status page's request is in sync.routes.ts (it reads the status access).

/** The browser session an update link gets bound to: 256 random bits in an HttpOnly cookie. */
export function credentialSessionCookie(publicUrl: string) {
  const secure = publicUrl.startsWith('https://');
  const name = secure ? '__Host-credential_session' : 'credential_session';
  return {
    read: (request: FastifyRequest): string | undefined => {
      const value = request.cookies[name];
      return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    },
    write: (reply: FastifyReply, value: string) => reply.setCookie(name, value, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: CREDENTIAL_UPDATE_LINK_TTL_HOURS * 3600 }),
  };
}

export function registerCredentialUpdateRoutes(
  app: App,
  deps: { rotation: CredentialRotation; publicUrl: string; grantStatusAccess: (reply: FastifyReply, partnerId: string) => void },
) {
  const { rotation } = deps;
  const session = credentialSessionCookie(deps.publicUrl);
  const errors = { 400: errorBody, 404: errorBody, 409: errorBody, 410: errorBody, 429: errorBody, 503: errorBody };

  app.post(
    '/api/credential-update-requests',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Ask for a one-time link to update the Microsoft secrets; it goes to the primary contact with this address, if there is one',
        description: 'Always answers 202 with the same message, whether or not the address is known.',
        body: emailOnlySchema,
        response: { 202: acceptedBody, ...errors },
      },
    },
    async (request, reply) => {
      await rotation.requestByEmail(request.body.email, requestMeta(request));
      return reply.status(202).send({ status: 'accepted', message: credentialUpdateRequestAccepted });
    },
  );

  app.post(
    '/api/credential-update-links/inspect',
    { schema: { tags: ['credentials'], summary: 'Look at an update link without using it (changes nothing)', body: credentialLinkTokenSchema, response: { 200: credentialLinkViewSchema, ...errors } } },
    async (request) => rotation.inspect(request.body.token, session.read(request)),
  );

  app.post(
    '/api/credential-update-links/claim',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Start with an update link: binds it to this browser',
        description: 'The first claim wins; the same browser may claim again to resume; any other browser is refused with 409.',
        body: credentialLinkTokenSchema,
        response: { 200: credentialUpdateStateSchema, ...errors },
      },
    },
    async (request, reply) => {
      const claimed = await rotation.claim(request.body.token, session.read(request), requestMeta(request));
      session.write(reply, claimed.session);
      return claimed.state;
    },
  );

  app.get(
    '/api/credential-update',
    { schema: { tags: ['credentials'], summary: 'The update this browser started: the apps, their current secrets (hints) and expiry, or the outcome', response: { 200: credentialUpdateStateSchema, ...errors } } },
    async (request) => rotation.state(session.read(request)),
  );

  app.post(
    '/api/credential-update',
    {
      schema: {
        tags: ['credentials'],
        summary: 'The new Entra client secret and/or Partner Center web app secret: checked live with Microsoft, then stored (spends the link)',
        body: credentialUpdateSchema,
        response: { 200: credentialUpdateStateSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { state, partnerId } = await rotation.update(session.read(request), request.body, requestMeta(request));
      // The person who proved the link may look at the status page in this browser.
      deps.grantStatusAccess(reply, partnerId);
      return state;
    },
  );
}
