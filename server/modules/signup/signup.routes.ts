import type { FastifyReply, FastifyRequest } from 'fastify';
import { acceptedBody, errorBody } from '../../../contracts/common.ts';
import {
  emailOnlySchema,
  signupLinkViewSchema,
  signupRequestSchema,
  signupSessionSchema,
  supportRequestCreatedSchema,
  supportRequestSchema,
  tokenOnlySchema,
  verificationResultSchema,
} from '../../../contracts/signup.ts';
import type { App } from '../../app/http.ts';
import { acceptedMessages, type RequestMeta, type SignupService } from './signup.service.ts';
import { PARTNER_SESSION_ABSOLUTE_MS } from './signup.fns.ts';

const errors = { 400: errorBody, 404: errorBody, 409: errorBody, 410: errorBody, 429: errorBody };

export function requestMeta(request: FastifyRequest): RequestMeta {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 300) };
}

/** The browser session a signup link gets bound to: 256 random bits in an HttpOnly cookie. */
export function signupSessionCookie(publicUrl: string) {
  const secure = publicUrl.startsWith('https://');
  const name = secure ? '__Host-signup_session' : 'signup_session';
  return {
    name,
    read: (request: FastifyRequest): string | undefined => {
      const value = request.cookies[name];
      return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    },
    write: (reply: FastifyReply, value: string) =>
      reply.setCookie(name, value, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: PARTNER_SESSION_ABSOLUTE_MS / 1000 }),
    clear: (reply: FastifyReply) => reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure }),
  };
}

export function registerSignupRoutes(app: App, deps: { signup: SignupService; publicUrl: string }) {
  const { signup } = deps;
  const session = signupSessionCookie(deps.publicUrl);

  app.post(
    '/api/signups',
    {
      schema: {
        tags: ['signup'],
        summary: 'Submit a signup (company, primary and optional secondary contact)',
        description: 'Always answers 202 with the same message, whether or not the email or company is already known.',
        body: signupRequestSchema,
        response: { 202: acceptedBody, ...errors },
      },
    },
    async (request, reply) => {
      await signup.submitSignup(request.body, requestMeta(request));
      return reply.status(202).send({ status: 'accepted', message: acceptedMessages.signup });
    },
  );

  app.post(
    '/api/email-verifications',
    {
      schema: {
        tags: ['signup'],
        summary: 'Confirm the primary contact\u2019s email with the token from the verification link',
        body: tokenOnlySchema,
        response: { 200: verificationResultSchema, ...errors },
      },
    },
    async (request) => signup.verifyEmail(request.body.token, requestMeta(request)),
  );

  app.post(
    '/api/verification-emails',
    {
      schema: { tags: ['signup'], summary: 'Send a new verification email', body: emailOnlySchema, response: { 202: acceptedBody, ...errors } },
    },
    async (request, reply) => {
      await signup.requestEmail('verification', request.body.email, requestMeta(request));
      return reply.status(202).send({ status: 'accepted', message: acceptedMessages.resendVerification });
    },
  );

  app.post(
    '/api/signup-link-requests',
    {
      schema: { tags: ['signup'], summary: 'Send a new one-time signup link (the previous one stops working)', body: emailOnlySchema, response: { 202: acceptedBody, ...errors } },
    },
    async (request, reply) => {
      await signup.requestEmail('signup_link', request.body.email, requestMeta(request));
      return reply.status(202).send({ status: 'accepted', message: acceptedMessages.newSignupLink });
    },
  );

  app.post(
    '/api/signup-links/inspect',
    {
      schema: {
        tags: ['signup link'],
        summary: 'Look at a signup link without using it',
        description: 'Changes nothing. The token travels in the body so it never appears in a URL or an access log.',
        body: tokenOnlySchema,
        response: { 200: signupLinkViewSchema, ...errors },
      },
    },
    async (request) => signup.inspectSignupLink(request.body.token, session.read(request)),
  );

  app.post(
    '/api/signup-links/claim',
    {
      schema: {
        tags: ['signup link'],
        summary: 'Start with a signup link: binds it to this browser session',
        description: 'The first claim wins; the same browser may claim again to resume; any other browser is refused with 409.',
        body: tokenOnlySchema,
        response: { 200: signupSessionSchema, ...errors },
      },
    },
    async (request, reply) => {
      // A first claim always gets a fresh session id: a cookie planted in this browser before the
      // claim (session fixation) never becomes the partner's session.
      const { session: value, view } = await signup.claimSignupLink(request.body.token, session.read(request), requestMeta(request));
      session.write(reply, value);
      return view;
    },
  );

  app.get(
    '/api/signup-session',
    { schema: { tags: ['signup link'], summary: 'The signup this browser is working on', response: { 200: signupSessionSchema, 404: errorBody } } },
    async (request) => signup.currentSession(session.read(request)),
  );

  app.post(
    '/api/support-requests',
    {
      schema: { tags: ['support'], summary: 'Contact support', body: supportRequestSchema, response: { 201: supportRequestCreatedSchema, ...errors } },
    },
    async (request, reply) => {
      const { reference } = await signup.createSupportRequest(request.body, requestMeta(request));
      return reply.status(201).send({
        reference,
        message: `Thank you. Your request ${reference} has reached our onboarding team; a confirmation email is on its way and we will answer by email.`,
      });
    },
  );

}
