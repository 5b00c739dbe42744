// Builds the Fastify instance serving all three Microsoft services and the admin API on one port.
import Fastify, { type FastifyInstance } from 'fastify';
import { registerAdmin, type AdminControls } from './admin.ts';
import { registerAppRoutes } from './graph/index.ts';
import { registerAuthorize } from './identity/authorize.ts';
import { registerDiscovery } from './identity/discovery.ts';
import { registerTokenEndpoints } from './identity/token.ts';
import { PC_CODES, PartnerCenterError, errorBody, registerPartnerCenter } from './partner-center/routes.ts';
import { logRequest, takeHold, type EmulatorState, type RequestLogEntry } from './state.ts';

/** Headers worth seeing in the request log; credentials (Authorization, cookies) are never among them. */
const LOGGED_HEADERS = ['ms-requestid', 'ms-correlationid', 'ms-contract-version', 'ms-partnercenter-application', 'accept', 'x-locale', 'client-request-id'];

const REDACTED_PARAMS = /([?&](?:code|client_secret|refresh_token|password|otc|passwd)=)[^&]*/gi;

function serviceOf(path: string): RequestLogEntry['service'] {
  if (path.startsWith('/v1.0/')) return 'graph';
  if (path.startsWith('/v1/')) return 'partner-center';
  if (path.startsWith('/_emulator')) return 'admin';
  if (/^\/[^/]+\/(oauth2|discovery|v2\.0|\.well-known|login|mfa|consent)/.test(path)) return 'identity';
  return 'other';
}

export function buildServer(state: EmulatorState, controls: AdminControls, logger: boolean): FastifyInstance {
  const app = Fastify({ logger, bodyLimit: 1_048_576 });

  // Token and sign-in forms are application/x-www-form-urlencoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const service = serviceOf(path);
    if (service === 'admin') return;
    logRequest(state, {
      at: state.now().toISOString(),
      service,
      method: request.method,
      path: request.url.replace(REDACTED_PARAMS, '$1[redacted]'),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      ...(typeof request.headers['client-request-id'] === 'string' ? { clientRequestId: request.headers['client-request-id'] } : {}),
      headers: Object.fromEntries(LOGGED_HEADERS.flatMap((name) => (typeof request.headers[name] === 'string' ? [[name, request.headers[name] as string]] : []))),
    });
  });

  // A request a test holds back waits here, before Microsoft's answer is made (Emulator.hold).
  app.addHook('preHandler', async (request) => {
    const hold = takeHold(state, request.method, request.url.split('?')[0]!);
    if (!hold) return;
    hold.arrived();
    await hold.released;
  });

  registerAdmin(app, state, controls);
  registerDiscovery(app, state);
  registerAuthorize(app, state);
  registerTokenEndpoints(app, state);
  registerAppRoutes(app, state);
  registerPartnerCenter(app, state);

  app.setNotFoundHandler((request, reply) => {
    // Partner Center answers paths it does not serve in its own error shape.
    if (request.url.startsWith('/v1/')) {
      return reply.status(404).header('content-type', 'application/json; charset=utf-8')
        .send(errorBody(new PartnerCenterError(404, PC_CODES.notFound, `Not found: ${request.method} ${request.url.split('?')[0]} is not a Partner Center resource.`)));
    }
    return reply.status(404).send({ error: 'not_found', message: `The emulator does not serve ${request.method} ${request.url.split('?')[0]}` });
  });
  return app;
}
