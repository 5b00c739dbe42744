import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyCompress, { type FastifyCompressOptions } from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isStorableText } from '../../contracts/common.ts';
import { ValidationError, type FieldProblem } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { installErrorHandler } from './errors.ts';
import type { Metrics } from './metrics.ts';

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider>;

export interface HttpOptions {
  logger: Logger;
  publicUrl: string;
  /** false, a hop count, or the proxies' addresses (see TRUST_PROXY in server/config/config.ts). */
  trustProxy: false | number | string[];
  /** Folder with the built web app (index.html + assets); missing in API-only tests. */
  webDist: string;
  ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /**
   * `/metrics` (Prometheus): with a token, served to requests bearing it; without one, served only
   * to this machine (loopback) when `loopbackWithoutToken`, else not served at all (production).
   */
  metrics?: { metrics: Metrics; token: string | undefined; loopbackWithoutToken: boolean };
}

const bodyLimit = 64 * 1024;

/**
 * Answers compressed per request: JSON (and the API reference's own files) above 1 KB, with
 * brotli at quality 4 or gzip, as the client accepts. The web app's files are compressed once at
 * build time instead (`serveWebApp`); an answer that already carries a Content-Encoding is left
 * alone, and server-sent events are never buffered. Compressed request bodies are not accepted.
 */
const compression: FastifyCompressOptions = {
  encodings: ['br', 'gzip'],
  threshold: 1024,
  customTypes: /^text\/(?!event-stream)|[+/](?:json|javascript|xml)(?:;|$)/,
  globalDecompression: false,
};

/** Content-hashed build output: the name changes whenever the bytes do. */
const immutableAssets = 'public, max-age=31536000, immutable';

/**
 * Fastify's own hop count ignores X-Forwarded-For altogether (it cannot check the peer), so a hop
 * count is a function here: the socket's peer and the next `hops - 1` addresses to its left are
 * proxies; the address after them is the client. Only safe when clients cannot reach the app but
 * through those proxies; otherwise list the proxies' addresses.
 */
function proxyTrust(trust: false | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  const hops = trust;
  return (_address, hop) => hop < hops;
}

export async function createHttpApp(options: HttpOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    trustProxy: proxyTrust(options.trustProxy),
    bodyLimit,
    // Request logs carry method, path and status; link tokens never travel in URLs, and the logger
    // redacts cookies and authorization headers.
    requestIdHeader: 'x-request-id',
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  if (options.metrics) {
    const { metrics } = options.metrics;
    // Every answer's latency by route pattern (never the raw path: no ids, no tokens in labels).
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeHttp(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    });
  }
  // Before any route: the plugin attaches itself to the routes declared after it.
  await app.register(fastifyCompress, compression);

  const secureCookies = options.publicUrl.startsWith('https://');
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: secureCookies ? '__Host-csrf' : 'csrf',
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: secureCookies, signed: false },
    getToken: (request) => request.headers['x-csrf-token'] as string | undefined,
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        frameAncestors: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: secureCookies,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });

  // CSRF on every state-changing call, decided on the route that will run, never on the raw URL:
  // the router decodes the path (`/%61pi/...` reaches `/api/...`), so a prefix test on
  // `request.url` could be walked around. A route opts out only by saying so in its configuration
  // (`config: { csrf: false }`); no route does today. Unmatched paths answer 404 and run nothing.
  app.addHook('onRequest', (request, reply, done) => {
    const unsafe = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
    const matched = request.routeOptions.url !== undefined;
    const config = request.routeOptions.config as { csrf?: boolean } | undefined;
    if (unsafe && matched && config?.csrf !== false) return app.csrfProtection(request, reply, done);
    done();
  });

  // No JSON answer is stored by a browser or a shared cache: partner, status and console answers
  // carry names, customers and session state (the console already said so route by route).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control') && String(reply.getHeader('content-type') ?? '').includes('json')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  // Last resort after each route's own schema: no request reaches a handler with text the database
  // cannot store (a NUL byte, a lone UTF-16 surrogate) in its body, query or path, keys included.
  // The contracts refuse these field by field; this catches whatever a schema let through.
  app.addHook('preHandler', (request, _reply, done) => {
    const fields: FieldProblem[] = [];
    for (const [where, value] of [['body', request.body], ['query', request.query], ['params', request.params]] as const) findUnstorable(value, where, fields);
    if (fields.length === 0) return done();
    done(new ValidationError(fields.length === 1 ? `One field needs attention: ${fields[0]!.message}` : `${fields.length} fields need attention; each is listed with what to change.`, fields));
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'TotalOne Signup API',
        version: '1.0.0',
        description:
          'Self-service onboarding of Microsoft CSP partners. Every state-changing call needs the `x-csrf-token` header from `GET /api/csrf-token` and the cookie that call sets.',
      },
      servers: [{ url: options.publicUrl }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI's own policy asks browsers to upgrade to https, which breaks plain-http demos.
    transformStaticCSP: (header) => (secureCookies ? header : header.replace(/\s*upgrade-insecure-requests;?/, '')),
    uiConfig: { docExpansion: 'list', deepLinking: false },
  });

  app.get(
    '/api/csrf-token',
    { schema: { tags: ['session'], summary: 'A token for the x-csrf-token header of state-changing calls', response: { 200: z.object({ token: z.string() }) } } },
    async (_request, reply) => ({ token: reply.generateCsrf() }),
  );
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  if (options.metrics) registerMetrics(app, options.metrics);
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const result = await options.ready();
    return reply.status(result.ok ? 200 : 503).send({ status: result.ok ? 'ready' : 'not ready', checks: result.checks });
  });

  return app;
}

/**
 * Serves the built browser app; unknown page paths get index.html (client-side routes). The build
 * writes brotli (`.br`) and gzip (`.gz`) copies of every text file, chosen here by the request's
 * Accept-Encoding. Files under /assets/ carry a content hash in their name and are cached for a
 * year; index.html is never cached.
 */
export async function serveWebApp(app: App, webDist: string): Promise<void> {
  const root = resolve(webDist);
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    app.log.warn({ webDist: root }, 'web app not built: run `npm run build:web`; only the API is served');
    return;
  }
  const assets = join(root, 'assets') + sep;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    preCompressed: true,
    // The compressed copies are chosen by negotiation, never asked for by name.
    globIgnore: ['**/*.br', '**/*.gz'],
    cacheControl: false,
    setHeaders: (response, path) => {
      response.setHeader('vary', 'accept-encoding');
      if (path.startsWith(assets)) response.setHeader('cache-control', immutableAssets);
      else if (!path.startsWith(index)) response.setHeader('cache-control', 'public, max-age=3600');
    },
  });
  const pages = ['/', '/signup', '/verify', '/signup-link', '/connect', '/status', '/tenant', '/offboard', '/credentials', '/help', '/support', '/checklist', '/dev/mail', '/console', '/console/*'];
  for (const page of pages) {
    // no-store: after a deploy, a cached index.html would point at asset files that are gone.
    app.get(page, { schema: { hide: true } }, (_request, reply) => reply.header('cache-control', 'no-store').sendFile('index.html'));
  }
}

function findUnstorable(value: unknown, path: string, out: FieldProblem[], depth = 0): void {
  if (out.length >= 20 || depth > 20) return;
  const problem = (at: string) => out.push({ path: at, message: 'contains a character that cannot be stored (a NUL byte or half of an emoji); please retype it.' });
  if (typeof value === 'string') {
    if (!isStorableText(value)) problem(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => findUnstorable(item, `${path}.${i}`, out, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!isStorableText(key)) problem(path);
      else findUnstorable(item, `${path}.${key}`, out, depth + 1);
    }
  }
}

/** The `/metrics` page with its access rule. */
function registerMetrics(app: App, options: NonNullable<HttpOptions['metrics']>): void {
  const { metrics, token } = options;
  const expected = token ? createHash('sha256').update(`Bearer ${token}`).digest() : undefined;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected) {
      const given = createHash('sha256').update(String(request.headers.authorization ?? '')).digest();
      if (!timingSafeEqual(given, expected)) return reply.status(401).header('www-authenticate', 'Bearer').send({ error: { code: 'METRICS_TOKEN_REQUIRED', message: 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".' } });
    } else if (!options.loopbackWithoutToken) {
      return reply.status(404).send({ error: { code: 'METRICS_NOT_ENABLED', message: 'Metrics are not served: set METRICS_TOKEN to enable /metrics.' } });
    } else if (!isLoopback(request.socket.remoteAddress)) {
      return reply.status(403).send({ error: { code: 'METRICS_LOOPBACK_ONLY', message: 'Without METRICS_TOKEN, metrics are served to this machine only.' } });
    }
    const body = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}
