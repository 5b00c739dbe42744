import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { signStatusKey } from '../../server/modules/sync/sync.fns.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { activeOperator, signIn } from './operators.helpers.ts';

// Every operation of the OpenAPI document, sent what an attacker or a broken client sends: NUL
// bytes, lone UTF-16 surrogates, invalid UTF-8, huge and deeply nested bodies, wrong types and
// content types, odd query strings and path segments. One browser holds a CSRF token, a partner
// session, a status cookie and an admin console session, so the requests get past the front door.
// Nothing may answer 5xx (or hang). Sign-outs run last so the sessions last the whole run.

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; enum?: unknown[] };
interface Operation {
  method: string;
  path: string;
  body: Schema | undefined;
  query: string[];
  pathParams: string[];
}

const oddStrings = ['a\u0000b', '\u0000', 'x\uD800y', '\uDFFF', '\u202E\uFEFF\u200B💥 é', `${'A'.repeat(3000)}`, "' OR 1=1; -- \\ %00 <script>"];
const oddQueryValues = ['%00', 'a%00b', '%ED%A0%80', '%uD800', '%', `${'q'.repeat(3000)}`, '%FF%FE', '..%2F..%2Fetc'];
const oddPathValues = ['%00', '%ED%A0%80', 'x'.repeat(2000), '%2e%2e', '00000000-0000-0000-0000-000000000000'];
const oddBodies: Array<{ raw: string | Buffer; type: string }> = [
  { raw: '[]', type: 'application/json' },
  { raw: 'null', type: 'application/json' },
  { raw: '"just a string"', type: 'application/json' },
  { raw: '{"a":', type: 'application/json' },
  { raw: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}', type: 'application/json' },
  { raw: `${'['.repeat(5000)}${']'.repeat(5000)}`, type: 'application/json' },
  { raw: `{"x":"${'z'.repeat(70_000)}"}`, type: 'application/json' },
  { raw: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')]), type: 'application/json' },
  { raw: 'name=x&email=y', type: 'application/x-www-form-urlencoded' },
  { raw: 'plain', type: 'text/plain' },
];

function operations(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters: Array<{ in: string; name: string }> = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        body: op.requestBody?.content?.['application/json']?.schema,
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
      });
    }
  }
  // Whatever ends a session runs last.
  const last = (op: Operation) => (/sign-out|\/disable$|\/suspension$/.test(op.path) ? 1 : 0);
  return out.sort((a, b) => last(a) - last(b));
}

/** A value shaped like `schema` whose every text leaf is `leaf`. */
function fill(schema: Schema | undefined, leaf: unknown, depth = 0): unknown {
  if (!schema || depth > 8) return leaf;
  const variant = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (variant) return fill(variant.find((s) => s.type !== 'null') ?? variant[0], leaf, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'object' || schema.properties) return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, fill(s, leaf, depth + 1)]));
  if (type === 'array') return [fill(schema.items, leaf, depth + 1)];
  if (type === 'integer' || type === 'number') return typeof leaf === 'string' ? leaf : -1e308;
  if (type === 'boolean') return typeof leaf === 'string' ? leaf : null;
  return leaf;
}

for (const backend of testBackends()) {
  describe(`fuzz every OpenAPI operation: no 5xx (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    it('answers every odd request below 500', { timeout: 120_000 }, async () => {
      const browser = new Browser(system.url!);
      const { partner } = await claimedSignup(system, browser);
      const statusKey = signStatusKey(system.services.vault.appKeys.lookupKey('status-link'), partner.id, new Date(system.clock.now().getTime() + 86_400_000));
      assert.equal((await browser.post('/api/status/access', { key: statusKey })).status, 200);
      const admin = await activeOperator(system, 'admin');
      await signIn(system, admin, browser);
      const support = await browser.post('/api/support-requests', { name: 'Fuzz Tester', email: 'fuzz@example.com', message: 'A support request to fuzz with.' });
      assert.equal(support.status, 201);
      const supportId = (await system.database.db.selectFrom('support_requests').select('id').where('reference', '=', support.body.reference).executeTakeFirstOrThrow()).id;
      const csrf = (await browser.get('/api/csrf-token')).body.token as string;
      const cookie = ['signup_session', 'status_key', 'operator_session', 'csrf']
        .map((name) => [name, browser.cookie(name)] as const)
        .filter(([, value]) => value)
        .map(([name, value]) => `${name}=${value}`)
        .join('; ');
      assert.match(cookie, /signup_session=.*status_key=.*operator_session=/);

      const doc = (await browser.get('/docs/json')).body as { paths: Record<string, Record<string, any>> };
      const ops = operations(doc);
      assert.ok(ops.length > 40, `${ops.length} operations`);
      const realId = (path: string) => (path.includes('/support-requests/') ? supportId : path.includes('/operators/') ? admin.id : partner.id);

      const failures: string[] = [];
      let sent = 0;
      const statuses = new Map<number, number>();
      const send = async (method: string, url: string, body?: { raw: string | Buffer; type: string }) => {
        sent++;
        const headers: Record<string, string> = { cookie, 'x-csrf-token': csrf };
        if (body) headers['content-type'] = body.type;
        try {
          // The address as a browser sends it (what fetch() would send: the URL parser's encoding).
          const response = await undiciRequest(new URL(`${system.url}${url}`), { method: method as Dispatcher.HttpMethod, headers, ...(body ? { body: body.raw } : {}), signal: AbortSignal.timeout(10_000) });
          const streaming = String(response.headers['content-type'] ?? '').includes('event-stream');
          if (streaming) response.body.destroy();
          else await response.body.arrayBuffer();
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          if (response.statusCode >= 500) failures.push(`${response.statusCode} ${method} ${url.slice(0, 120)} ${body ? String(body.raw).slice(0, 80) : ''}`);
        } catch (error) {
          failures.push(`${(error as Error).name} ${method} ${url.slice(0, 120)}`);
        }
      };
      const json = (value: unknown) => ({ raw: JSON.stringify(value), type: 'application/json' });

      const started = Date.now();
      for (const op of ops) {
        const pathWith = (value: (name: string) => string) => op.path.replace(/\{(\w+)\}/g, (_m, name: string) => value(name));
        const base = pathWith(() => realId(op.path));
        const requests: Array<() => Promise<void>> = [];
        for (const value of op.pathParams.length ? oddPathValues : []) requests.push(() => send(op.method, pathWith(() => value), op.method === 'POST' ? json(fill(op.body, 'x')) : undefined));
        const queryNames = op.query.length ? op.query : ['q'];
        for (const value of oddQueryValues) requests.push(() => send(op.method, `${base}?${queryNames.map((n) => `${n}=${value}`).join('&')}`, op.method === 'POST' ? json({}) : undefined));
        requests.push(() => send(op.method, `${base}?${queryNames.map((n) => `${n}=a&${n}=b&${n}[x]=c`).join('&')}`));
        if (op.method !== 'GET') {
          for (const value of oddStrings) requests.push(() => send(op.method, base, json(fill(op.body, value))));
          for (const value of [null, 12, true, [], {}, [[['deep']]]]) requests.push(() => send(op.method, base, json(fill(op.body, value))));
          for (const body of oddBodies) requests.push(() => send(op.method, base, body));
          requests.push(() => send(op.method, base));
        }
        // A few at a time: the requests of one operation race each other too.
        for (let i = 0; i < requests.length; i += 6) await Promise.all(requests.slice(i, i + 6).map((r) => r()));
      }
      const seconds = (Date.now() - started) / 1000;
      assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
      assert.ok(sent > 1000, `${sent} requests in ${seconds.toFixed(1)} s`);
      // The sessions held: plenty of answers got past validation and the session checks.
      assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) + (statuses.get(202) ?? 0) > 50, JSON.stringify([...statuses]));
      if (process.env.FUZZ_VERBOSE) console.log(sent, seconds, JSON.stringify([...statuses].sort()));
    });
  });
}
