import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { UnavailableError } from '../../lib/errors.ts';
import { createMicrosoftHttp, parseRetryAfter } from './microsoft.http.ts';

// A local server that answers each request with the next scripted reply, recording what it got.
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (to trigger the client's timeout). */
  hang?: boolean;
}

describe('microsoft.http: retries and headers', () => {
  let server: Server;
  let base: string;
  let script: Reply[] = [];
  let received: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const reply = script.shift() ?? { status: 200, body: '{}' };
        if (reply.hang) return;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    script = [];
    received = [];
  });

  function client(extra: { maxAttempts?: number; maxDelayMs?: number; timeoutMs?: number } = {}) {
    const waits: number[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const http = createMicrosoftHttp({
      timeoutMs: extra.timeoutMs ?? 2000,
      sleep: async (ms) => { waits.push(ms); },
      random: () => 0,
      logger: { warn: (fields) => logs.push(fields) },
      ...(extra.maxAttempts ? { maxAttempts: extra.maxAttempts } : {}),
      ...(extra.maxDelayMs ? { maxDelayMs: extra.maxDelayMs } : {}),
    });
    return { http, waits, logs };
  }

  it('sends the bearer token and tracing headers, and parses JSON (byte-order mark removed)', async () => {
    script = [{ status: 200, body: '\uFEFF{"ok":true}' }];
    const { http } = client();
    const r = await http.requestJson<{ ok: boolean }>(`${base}/v1/customers`, { token: 'tok-123', correlationId: 'corr-1', requestId: 'req-1', headers: { 'MS-ContinuationToken': 'ct' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { ok: true });
    const h = received[0]!.headers;
    assert.equal(h.authorization, 'Bearer tok-123');
    assert.equal(h['ms-correlationid'], 'corr-1');
    assert.equal(h['ms-requestid'], 'req-1');
    assert.equal(h['client-request-id'], 'req-1');
    assert.equal(h['ms-continuationtoken'], 'ct');
  });

  it('generates request and correlation ids when none are given, and sends JSON bodies', async () => {
    script = [{ status: 204 }];
    const { http } = client();
    const r = await http.requestJson(`${base}/x`, { method: 'POST', token: 't', body: { groupIds: ['a'] } });
    assert.equal(r.status, 204);
    assert.equal(r.body, undefined);
    const got = received[0]!;
    assert.match(String(got.headers['ms-requestid']), /^[0-9a-f-]{36}$/);
    assert.match(String(got.headers['ms-correlationid']), /^[0-9a-f-]{36}$/);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(got.body), { groupIds: ['a'] });
  });

  it('retries 429 after exactly Retry-After seconds and 503 with backoff, reusing MS-RequestId', async () => {
    script = [
      { status: 429, headers: { 'retry-after': '2' }, body: '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 2 seconds."}' },
      { status: 503, body: '{"code":503}' },
      { status: 200, body: '{"items":[]}' },
    ];
    const { http, waits, logs } = client();
    const r = await http.requestJson(`${base}/v1/customers?size=1`, { token: 'secret-token-value', correlationId: 'c' });
    assert.equal(r.status, 200);
    assert.equal(received.length, 3);
    assert.deepEqual(waits, [2000, 1000], 'Retry-After 2 s, then backoff 500 ms x 2^1 (no jitter)');
    const ids = new Set(received.map((x) => x.headers['ms-requestid']));
    assert.equal(ids.size, 1, 'the same MS-RequestId on every retry');
    assert.equal(new Set(received.map((x) => x.headers['ms-correlationid'])).size, 1);
    assert.equal(logs.length, 2);
    assert.ok(!JSON.stringify(logs).includes('secret-token-value'), 'no token in logs');
    assert.ok(!JSON.stringify(logs).includes('size=1'), 'no query string in logs');
  });

  it('accepts Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    assert.equal(parseRetryAfter('Wed, 25 Nov 2026 12:00:03 GMT', now), 3000);
    assert.equal(parseRetryAfter('1.5', now), 1500);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('backs off exponentially with jitter on 502/503/504 and gives the last answer back after the attempts', async () => {
    script = [{ status: 502 }, { status: 504 }, { status: 503, body: '{"code":503,"description":"down"}' }];
    const waits: number[] = [];
    const http = createMicrosoftHttp({ timeoutMs: 2000, maxAttempts: 3, baseDelayMs: 100, sleep: async (ms) => { waits.push(ms); }, random: () => 0.999 });
    const r = await http.requestJson<{ description: string }>(`${base}/x`, { token: 't' });
    assert.equal(r.status, 503);
    assert.equal(r.body.description, 'down');
    assert.equal(received.length, 3);
    assert.equal(waits.length, 2);
    assert.ok(waits[0]! >= 100 && waits[0]! <= 150, `first wait ${waits[0]}`);
    assert.ok(waits[1]! >= 200 && waits[1]! <= 300, `second wait ${waits[1]}`);
  });

  it('does not wait longer than the cap: a long Retry-After is handed back', async () => {
    script = [{ status: 429, headers: { 'retry-after': '120' }, body: '{"statusCode":429}' }];
    const { http, waits } = client({ maxDelayMs: 10_000 });
    const r = await http.requestJson(`${base}/x`, { token: 't' });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '120');
    assert.deepEqual(waits, []);
    assert.equal(received.length, 1);
  });

  it('does not retry other errors (400, 401, 403, 404, 500)', async () => {
    for (const status of [400, 401, 403, 404, 500]) {
      script = [{ status, body: '{}' }];
      received = [];
      const { http } = client();
      assert.equal((await http.requestJson(`${base}/x`, { token: 't' })).status, status);
      assert.equal(received.length, 1, `status ${status}`);
    }
  });

  it('hands a redirect back as it came, not following it with the bearer token', async () => {
    script = [{ status: 302, headers: { location: `${base}/elsewhere` }, body: '' }];
    const { http } = client();
    const response = await http.requestJson(`${base}/x`, { token: 'secret-token' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('Location'), `${base}/elsewhere`);
    assert.deepEqual(received.map((r) => r.url), ['/x']);
  });

  it('reads the answer\u2019s headers by name, whatever their case', async () => {
    script = [{ status: 200, headers: { 'Request-Id': 'abc' }, body: '{}' }];
    const { http } = client();
    const response = await http.requestJson(`${base}/x`, { token: 't' });
    assert.equal(response.headers.get('request-id'), 'abc');
    assert.equal(response.headers.get('REQUEST-ID'), 'abc');
    assert.equal(response.headers.get('x-missing'), null);
  });

  it('retries a timeout, then answers', async () => {
    script = [{ status: 0, hang: true }, { status: 200, body: '{"ok":1}' }];
    // Long enough that a busy machine still answers the second attempt in time.
    const { http, waits } = client({ timeoutMs: 1500 });
    const r = await http.requestJson(`${base}/x`, { token: 't', requestId: 'same' });
    assert.equal(r.status, 200);
    assert.equal(waits.length, 1);
    assert.deepEqual(received.map((x) => x.headers['ms-requestid']), ['same', 'same']);
  });

  it('does not repeat a POST that timed out unless it is marked idempotent', async () => {
    script = [{ status: 0, hang: true }];
    const { http } = client({ timeoutMs: 150 });
    await assert.rejects(http.requestJson(`${base}/x`, { method: 'POST', token: 't', body: {} }), UnavailableError);
    assert.equal(received.length, 1);
    script = [{ status: 0, hang: true }, { status: 200, body: '{"value":[]}' }];
    received = [];
    assert.equal((await http.requestJson(`${base}/y`, { method: 'POST', token: 't', body: {}, idempotent: true })).status, 200);
    assert.equal(received.length, 2);
  });

  it('network failure after every attempt -> UnavailableError MICROSOFT_UNREACHABLE with a plain message', async () => {
    const { http, waits } = client({ maxAttempts: 3 });
    await assert.rejects(http.requestJson('http://127.0.0.1:1/v1.0/me', { token: 't' }), (error: unknown) => {
      assert.ok(error instanceof UnavailableError);
      assert.equal(error.code, 'MICROSOFT_UNREACHABLE');
      assert.match(error.message, /could not be reached \(127\.0\.0\.1:1\)\. Please try again/);
      assert.ok(!error.message.includes('ECONNREFUSED'));
      return true;
    });
    assert.equal(waits.length, 2);
  });
});
