import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isConnectionError } from '../db/connection-errors.ts';
import { AppError, type FieldProblem } from '../lib/errors.ts';

// The one place where errors become HTTP answers. Known errors keep their code and message; a
// request the server cannot read gets a 4xx saying why; anything else is logged in full and
// answered with a generic 500 that leaks nothing.

export function installErrorHandler(app: FastifyInstance<any, any, any, any, any>): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.details.retryAfterSeconds) reply.header('retry-after', String(error.details.retryAfterSeconds));
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, ...pickPublic(error.details) } });
    }

    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error as { validationContext?: string }).validationContext ?? 'body';
      const fields: FieldProblem[] = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || where,
        message: friendlyMessage(issue.message ?? 'is not valid.', issue.instancePath),
      }));
      const count = fields.length;
      return reply.status(400).send({
        error: {
          code: 'VALIDATION_FAILED',
          message: count === 1 ? `One field needs attention: ${fields[0]!.message}` : `${count} fields need attention; each is listed with what to change.`,
          fields,
        },
      });
    }

    const known = clientErrors[error.code ?? ''];
    if (known) return reply.status(known.status).send({ error: { code: known.code, message: known.message } });

    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ error: { code: 'BAD_REQUEST', message: 'The request could not be processed. Check what was sent and try again.' } });
    }

    // The database refused or dropped the connection: a temporary outage, not a bug.
    if (isConnectionError(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', '10')
        .send({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Our database is not answering right now, so this request may not have been saved. Please try again in a minute.', retryAfterSeconds: 10 } });
    }

    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Something went wrong on our side. Nothing you entered was lost; please try again in a moment.' } });
  });

  app.setNotFoundHandler((request, reply) => {
    // A person typing a wrong page address gets the web app's own "page not found" page.
    const sendFile = (reply as unknown as { sendFile?: (file: string, options: object) => unknown }).sendFile;
    const wantsPage = request.method === 'GET' && String(request.headers.accept ?? '').includes('text/html') && !/^\/(api|dev\/api|docs)\b/.test(request.url);
    if (wantsPage && sendFile) return reply.status(404).header('cache-control', 'no-store').sendFile('index.html', { cacheControl: false });
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `There is nothing at ${request.method} ${request.url.split('?')[0]}.` } });
  });
}

const clientErrors: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON. Send a JSON object.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'EMPTY_BODY', message: 'The request body is empty. Send a JSON object.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE', message: 'The request body is too large. Requests to this API must stay under 64 KB.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as JSON with the header Content-Type: application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_CONTENT_LENGTH', message: 'The Content-Length header does not match the body.' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL', message: 'The address is not a valid URL.' },
  FST_CSRF_MISSING_SECRET: { status: 403, code: 'CSRF_FAILED', message: 'The page\u2019s security token is missing or expired. Reload the page and try again.' },
  FST_CSRF_INVALID_TOKEN: { status: 403, code: 'CSRF_FAILED', message: 'The page\u2019s security token is missing or expired. Reload the page and try again.' },
  FST_ERR_RATE_LIMITED: { status: 429, code: 'RATE_LIMITED', message: 'Too many requests. Please wait a minute and try again.' },
};

function pickPublic(details: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  if (details.fields) out.fields = details.fields;
  if (details.retryAfterSeconds) out.retryAfterSeconds = details.retryAfterSeconds;
  return out;
}

/** Zod's built-in type messages are written for developers; say the same for a person. */
function friendlyMessage(message: string, instancePath: string): string {
  const field = instancePath.split('/').filter(Boolean).at(-1) ?? 'The request body';
  const expected = /^Invalid input: expected (\w+), received (\w+)/.exec(message);
  if (expected) {
    if (expected[2] === 'undefined') return `${field} is required.`;
    return `${field} must be ${expected[1] === 'object' ? 'an object' : `a ${expected[1]}`}, not ${expected[2]}.`;
  }
  if (message.startsWith('Unrecognized key')) return `${message.replace(/^Unrecognized keys?:/, 'Unknown field(s):')}; remove them.`;
  return message;
}
