// Microsoft Graph's OData error body and response headers.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export const graphErrors = {
  denied: () => new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  notFound: (id: string) => new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`),
  badRequest: (message: string) => new GraphError(400, 'Request_BadRequest', message),
  unsupportedFilter: (property: string, type: string) => new GraphError(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified for property '${property}' of resource '${type}'.`),
  invalidFilter: (detail: string) => new GraphError(400, 'BadRequest', `Invalid filter clause: ${detail}`),
  meNeedsUser: () => new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.'),
  token: (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message),
  routeNotFound: (path: string) => new GraphError(400, 'BadRequest', `Resource not found for the segment '${path}'.`),
  conflict: (message: string) => new GraphError(409, 'Request_MultipleObjectsWithSameKeyValue', message),
};

/** Graph echoes client-request-id and adds request-id to every answer. */
export function graphHeaders(request: FastifyRequest, reply: FastifyReply): { requestId: string; clientRequestId: string } {
  const requestId = randomUUID();
  const clientRequestId = (request.headers['client-request-id'] as string | undefined) ?? requestId;
  reply.header('request-id', requestId).header('client-request-id', clientRequestId)
    .header('x-ms-ags-diagnostic', JSON.stringify({ ServerInfo: { DataCenter: 'Emulator', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'EMU' } }));
  return { requestId, clientRequestId };
}

export function sendGraphError(reply: FastifyReply, err: GraphError, ids: { requestId: string; clientRequestId: string }, now: Date): FastifyReply {
  if (err.status === 401) {
    reply.header('www-authenticate', 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"');
  }
  return reply.status(err.status).header('content-type', 'application/json').send({
    error: {
      code: err.code,
      message: err.message,
      innerError: { date: now.toISOString().slice(0, 19), 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
    },
  });
}
