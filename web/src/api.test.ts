import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { api, ApiError } from './api.ts';

// The API client against a scripted fetch: CSRF token handling, error bodies, network failures.

type Call = { url: string; method: string; headers: Record<string, string>; body?: string };
let calls: Call[] = [];
let script: Array<(call: Call) => Response | Promise<Response>> = [];
const realFetch = globalThis.fetch;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

beforeEach(() => {
  calls = [];
  script = [];
  globalThis.fetch = (async (input: string, init: RequestInit = {}) => {
    const call = { url: input, method: init.method ?? 'GET', headers: (init.headers ?? {}) as Record<string, string>, body: init.body as string | undefined };
    calls.push(call);
    const next = script.shift();
    if (!next) throw new Error(`unexpected request ${call.method} ${call.url}`);
    return next(call);
  }) as typeof fetch;
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

describe('api client', () => {
  it('fetches a CSRF token once, then sends it with every POST', async () => {
    script = [
      () => json(200, { token: 'csrf-1' }),
      () => json(202, { status: 'accepted', message: 'On its way.' }),
      () => json(202, { status: 'accepted', message: 'On its way.' }),
    ];
    assert.equal((await api.resendVerification('a@b.example')).message, 'On its way.');
    await api.requestSignupLink('a@b.example');
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.url}`),
      ['GET /api/csrf-token', 'POST /api/verification-emails', 'POST /api/signup-link-requests'],
    );
    assert.equal(calls[1]?.headers['x-csrf-token'], 'csrf-1');
    assert.equal(calls[1]?.headers['content-type'], 'application/json');
    assert.equal(calls[1]?.body, JSON.stringify({ email: 'a@b.example' }));
  });

  it('on 403 CSRF_FAILED fetches a new token and retries once', async () => {
    script = [
      () => json(403, { error: { code: 'CSRF_FAILED', message: 'expired' } }),
      () => json(200, { token: 'csrf-2' }),
      () => json(200, { companyName: 'Contoso', reference: 'TO-AAAA-BBBB', expiresAt: '2026-11-27T10:00:00.000Z', status: 'open' }),
    ];
    const view = await api.inspectSignupLink('t'.repeat(43));
    assert.equal(view.companyName, 'Contoso');
    assert.equal(calls.at(-1)?.headers['x-csrf-token'], 'csrf-2');
  });

  it('does not retry a second CSRF failure in a row', async () => {
    // The token cached by the previous test is sent first.
    script = [
      () => json(403, { error: { code: 'CSRF_FAILED', message: 'expired' } }),
      () => json(200, { token: 'csrf-3' }),
      () => json(403, { error: { code: 'CSRF_FAILED', message: 'still expired' } }),
    ];
    await assert.rejects(api.claimSignupLink('t'.repeat(43)), (error: unknown) => error instanceof ApiError && error.code === 'CSRF_FAILED');
    assert.equal(calls.length, 3);
  });

  it('turns an error body into a typed ApiError with fields and retry time', async () => {
    script = [() => json(400, { error: { code: 'VALIDATION_FAILED', message: 'One field', fields: [{ path: 'company.mpnId', message: 'Digits only.' }] } })];
    await assert.rejects(api.submitSignup({} as never), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      assert.deepEqual(error.fields, [{ path: 'company.mpnId', message: 'Digits only.' }]);
      return true;
    });
    script = [() => json(429, { error: { code: 'RATE_LIMITED', message: 'Slow down.', retryAfterSeconds: 90 } })];
    await assert.rejects(api.resendVerification('a@b.example'), (error: unknown) => error instanceof ApiError && error.retryAfterSeconds === 90);
  });

  it('explains a server that answers without our error body, and a missing network', async () => {
    script = [() => new Response('<h1>Bad gateway</h1>', { status: 502 })];
    await assert.rejects(api.signupSession(), (error: unknown) => error instanceof ApiError && error.code === 'INTERNAL' && error.status === 502);
    script = [() => Promise.reject(new TypeError('Failed to fetch'))];
    await assert.rejects(api.signupSession(), (error: unknown) => error instanceof ApiError && error.code === 'NETWORK' && error.status === 0);
  });

  it('refuses a successful answer of the wrong shape', async () => {
    script = [() => json(200, { hello: 'world' })];
    await assert.rejects(api.signupSession(), (error: unknown) => error instanceof ApiError && error.code === 'BAD_RESPONSE');
  });
});
