import { randomUUID } from 'node:crypto';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { UnavailableError } from '../../lib/errors.ts';

// The one way this app calls Microsoft Graph and Partner Center: a small typed HTTP wrapper
// (the Graph SDK drops Authorization over http and hides retries) on undici's request(), which
// costs a quarter of the CPU of the built-in fetch() per call (measured: about 0.15 ms against
// 0.5-0.85 ms for a small JSON answer; a sync of 1,000 customers makes over a thousand calls).
// Redirects are not followed: Graph and Partner Center answer these calls directly, and a 3xx
// goes back to the caller like any other unexpected answer (never the bearer token to elsewhere).
// It sends the tracing headers both services document, retries what Microsoft asks clients to
// retry (429 with Retry-After, 502/503/504, timeouts) with exponential backoff and jitter, and
// returns every other answer to the caller, whose client turns it into a typed error. Tokens and
// bodies are never logged.

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface MicrosoftRequest {
  method?: HttpMethod;
  /** Bearer access token. Never logged. */
  token: string;
  /** Sent as JSON. Never logged. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Groups related requests (e.g. every page of one customer sync). Default: a new GUID. */
  correlationId?: string;
  /** Identifies this request; reused on its retries so Microsoft can de-duplicate. Default: a new GUID. */
  requestId?: string;
  /**
   * Whether a timeout or dropped connection may be retried. Default: true for GET, PUT, PATCH and
   * DELETE; false for POST (Microsoft may have acted on it). Read-only POSTs (checkMemberGroups) pass true.
   */
  idempotent?: boolean;
}

/** The headers of an answer, read by name (case-insensitive). */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface MicrosoftResponse<T> {
  status: number;
  headers: ResponseHeaders;
  /** Parsed JSON (a UTF-8 byte-order mark removed), the raw text when not JSON, undefined when empty. */
  body: T;
}

/** The subset of pino's interface used here. */
export interface HttpLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface MicrosoftHttpOptions {
  /** Per attempt. */
  timeoutMs: number;
  logger?: HttpLogger;
  /** Injected by tests to observe waits instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per request including the first. Default 4. */
  maxAttempts?: number;
  /** First backoff step; doubles per attempt, plus up to 50% jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait we accept before a retry (Retry-After or backoff). A longer Retry-After is returned to the caller. Default 20 s. */
  maxDelayMs?: number;
  /** 0 <= x < 1; injected by tests to make jitter predictable. */
  random?: () => number;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After is either delta-seconds or an HTTP date; returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isIdempotent(request: MicrosoftRequest): boolean {
  return request.idempotent ?? (request.method ?? 'GET') !== 'POST';
}

/** Where a request went, without the query string (filters may name people) for logs and messages. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** undici's header object (names in lower case; a repeated header as an array) read by name. */
function responseHeaders(headers: Dispatcher.ResponseData['headers']): ResponseHeaders {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

async function readBody(response: Dispatcher.ResponseData): Promise<unknown> {
  const text = (await response.body.text()).replace(/^\uFEFF/, '');
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function createMicrosoftHttp(options: MicrosoftHttpOptions) {
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const random = options.random ?? Math.random;

  function backoff(attempt: number): number {
    const exponential = baseDelayMs * 2 ** (attempt - 1);
    return Math.min(maxDelayMs, Math.round(exponential * (1 + random() / 2)));
  }

  async function requestJson<T = unknown>(url: string, request: MicrosoftRequest): Promise<MicrosoftResponse<T>> {
    const method = request.method ?? 'GET';
    const requestId = request.requestId ?? randomUUID();
    const correlationId = request.correlationId ?? randomUUID();
    const headers: Record<string, string> = {
      accept: 'application/json',
      // Header names are case-insensitive: one spelling each, so nothing is sent twice.
      ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
      authorization: `Bearer ${request.token}`,
      'ms-correlationid': correlationId,
      'ms-requestid': requestId,
      'client-request-id': requestId,
    };
    let payload: string | undefined;
    if (request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const where = describeUrl(url);

    for (let attempt = 1; ; attempt++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await undiciRequest(url, { method, headers, body: payload, signal: AbortSignal.timeout(options.timeoutMs) });
      } catch (error) {
        const reason = (error as Error)?.name === 'TimeoutError' ? 'timeout' : 'network';
        const retry = attempt < maxAttempts && isIdempotent(request);
        options.logger?.warn({ method, url: where, attempt, reason, requestId, correlationId, willRetry: retry }, 'Microsoft request failed');
        if (!retry) {
          throw new UnavailableError(
            'MICROSOFT_UNREACHABLE',
            reason === 'timeout'
              ? `Microsoft did not answer in time (${new URL(url).host}). Please try again in a minute.`
              : `Microsoft could not be reached (${new URL(url).host}). Please try again in a minute.`,
          );
        }
        await sleep(backoff(attempt));
        continue;
      }

      const status = response.statusCode;
      const answerHeaders = responseHeaders(response.headers);
      if (RETRYABLE_STATUS.has(status) && attempt < maxAttempts) {
        const retryAfter = parseRetryAfter(answerHeaders.get('retry-after'));
        const wait = retryAfter ?? backoff(attempt);
        if (wait <= maxDelayMs) {
          options.logger?.warn({ method, url: where, attempt, status, waitMs: wait, requestId, correlationId }, 'Microsoft asked us to retry');
          await response.body.dump().catch(() => {});
          await sleep(wait);
          continue;
        }
        // Microsoft asks for a longer pause than this caller may wait: hand the answer back.
      }
      let body: unknown;
      try {
        body = await readBody(response);
      } catch {
        // The connection dropped or timed out mid-answer; the status alone says too little to act on.
        throw new UnavailableError('MICROSOFT_UNREACHABLE', `Microsoft\u2019s answer was cut off (${new URL(url).host}). Please try again in a minute.`);
      }
      return { status, headers: answerHeaders, body: body as T };
    }
  }

  return { requestJson };
}

export type MicrosoftHttp = ReturnType<typeof createMicrosoftHttp>;
