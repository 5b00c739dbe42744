// Graph v1.0 under /v1.0/*. Graph paths contain OData key syntax such as
// /applications(appId='...'), which Fastify's router cannot express, so Graph routes are
// matched here by regular expressions.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorState } from '../state.ts';
import { authenticateGraph, type GraphCaller } from './auth.ts';
import { GraphError, graphErrors, graphHeaders, sendGraphError } from './errors.ts';

export interface GraphContext {
  state: EmulatorState;
  caller: GraphCaller;
  query: Record<string, string | undefined>;
  body: Record<string, unknown>;
  /** Absolute service root, e.g. http://127.0.0.1:4010/v1.0 */
  root: string;
  /** Path after /v1.0, decoded, without query string. */
  path: string;
}

export interface GraphResult {
  status?: number;
  body?: unknown;
}

export interface GraphRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  pattern: RegExp;
  handle: (ctx: GraphContext, params: string[]) => GraphResult | Promise<GraphResult>;
}

/** `{ '@odata.context', value, '@odata.nextLink' }` for a collection. */
export function collection(ctx: GraphContext, contextPath: string, value: unknown[], nextLink?: string): GraphResult {
  return { body: { '@odata.context': `${ctx.root}/$metadata#${contextPath}`, value, ...(nextLink ? { '@odata.nextLink': nextLink } : {}) } };
}

export function entity(ctx: GraphContext, contextPath: string, value: Record<string, unknown>, status = 200): GraphResult {
  return { status, body: { '@odata.context': `${ctx.root}/$metadata#${contextPath}/$entity`, ...value } };
}

export function registerGraph(app: FastifyInstance, state: EmulatorState, routes: GraphRoute[]): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const ids = graphHeaders(request, reply);
    try {
      const rawPath = request.url.split('?')[0]!.slice('/v1.0'.length) || '/';
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        throw graphErrors.badRequest('The request URI is malformed.');
      }
      const caller = await authenticateGraph(state, request.headers.authorization);
      const candidates = routes.filter((r) => r.pattern.test(path));
      const route = candidates.find((r) => r.method === request.method);
      if (!route) {
        if (candidates.length > 0) throw new GraphError(405, 'Request_BadRequest', `The request method '${request.method}' is not supported for the path.`);
        throw graphErrors.routeNotFound(path.split('/').filter(Boolean).pop() ?? path);
      }
      const params = route.pattern.exec(path)!.slice(1).map((p) => p ?? '');
      const ctx: GraphContext = {
        state, caller, path,
        query: request.query as Record<string, string | undefined>,
        body: (request.body ?? {}) as Record<string, unknown>,
        root: `${state.baseUrl}/v1.0`,
      };
      const result = await route.handle(ctx, params);
      const status = result.status ?? 200;
      if (result.body === undefined) return reply.status(status).send();
      return reply.status(status).header('content-type', 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8').send(JSON.stringify(result.body));
    } catch (err) {
      if (err instanceof GraphError) return sendGraphError(reply, err, ids, state.now());
      throw err;
    }
  };
  app.route({ method: ['GET', 'POST', 'PATCH', 'DELETE'], url: '/v1.0/*', handler });
}
