import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { preferredBackend } from '../support/database.ts';
import { signupRequest } from '../support/factories.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The built web app over HTTP: compressed once at build time and chosen by Accept-Encoding,
// content-hashed files cached for a year, index.html never; JSON answers compressed above 1 KB.

const dist = 'web/dist';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(response: Raw): Buffer {
  const encoding = response.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(response.body);
  if (encoding === 'gzip') return gunzipSync(response.body);
  assert.equal(encoding, undefined, `unexpected content-encoding ${encoding}`);
  return response.body;
}

describe('web app delivery: compression and caching', () => {
  let system: TestSystem;
  let script: string;
  before(async () => {
    if (!existsSync(join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build:web` first');
    script = readdirSync(join(dist, 'assets')).find((name) => /^index-[\w-]+\.js$/.test(name))!;
    system = await startTestSystem(preferredBackend(), { roles: ['web'], webDist: dist });
  });
  after(() => system.dispose());

  it('the build writes a brotli and a gzip copy of every script and style sheet', () => {
    const files = readdirSync(join(dist, 'assets')).filter((name) => /\.(js|css)$/.test(name));
    assert.ok(files.length > 5);
    for (const name of files) {
      const original = readFileSync(join(dist, 'assets', name));
      const br = join(dist, 'assets', `${name}.br`);
      const gz = join(dist, 'assets', `${name}.gz`);
      if (original.length < 200) continue; // too small to gain; may stay plain
      assert.ok(existsSync(br) && existsSync(gz), `${name} has .br and .gz copies`);
      assert.deepEqual(brotliDecompressSync(readFileSync(br)), original, `${name}.br holds the same bytes`);
      assert.deepEqual(gunzipSync(readFileSync(gz)), original, `${name}.gz holds the same bytes`);
    }
  });

  for (const [acceptEncoding, expected] of [
    ['br, gzip, deflate', 'br'],
    ['gzip, deflate', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['identity', undefined],
    [undefined, undefined],
  ] as const) {
    it(`a hashed script asked for with Accept-Encoding ${acceptEncoding ?? '(none)'} comes ${expected ?? 'uncompressed'}, cached for a year`, async () => {
      const response = await get(`${system.url}/assets/${script}`, acceptEncoding ? { 'accept-encoding': acceptEncoding } : {});
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-encoding'], expected);
      assert.match(String(response.headers['content-type']), /javascript/);
      assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(String(response.headers.vary), /accept-encoding/i);
      assert.equal(Number(response.headers['content-length']), response.body.length);
      const original = readFileSync(join(dist, 'assets', script));
      if (expected) assert.ok(response.body.length < original.length / 2, `${expected} is smaller (${response.body.length} of ${original.length} bytes)`);
      assert.deepEqual(decode(response), original);
    });
  }

  it('pages get index.html compressed and never cached', async () => {
    const original = readFileSync(join(dist, 'index.html'));
    for (const page of ['/signup', '/connect', '/console/partners']) {
      const response = await get(`${system.url}${page}`, { 'accept-encoding': 'gzip, br' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-encoding'], 'br');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.deepEqual(decode(response), original);
    }
    const plain = await get(`${system.url}/signup`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['cache-control'], 'no-store');
    assert.deepEqual(plain.body, original);
  });

  it('HEAD answers the headers of the negotiated copy without a body', async () => {
    const response = await get(`${system.url}/assets/${script}`, { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'br');
    assert.equal(Number(response.headers['content-length']), readFileSync(join(dist, 'assets', `${script}.br`)).length);
    assert.equal(response.body.length, 0);
  });

  it('the compressed copies are not addressable by name, and unhashed files are not immutable', async () => {
    assert.equal((await get(`${system.url}/assets/${script}.br`)).status, 404);
    const icon = await get(`${system.url}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.doesNotMatch(String(icon.headers['cache-control']), /immutable/);
  });

  it('JSON answers above 1 KB are compressed as the client accepts; small ones are not', async () => {
    const big = await get(`${system.url}/docs/json`, { 'accept-encoding': 'br' });
    assert.equal(big.status, 200);
    assert.equal(big.headers['content-encoding'], 'br');
    assert.match(String(big.headers.vary), /accept-encoding/i);
    const document = JSON.parse(decode(big).toString('utf8'));
    assert.equal(document.openapi, '3.0.3');
    const gz = await get(`${system.url}/docs/json`, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse(decode(gz).toString('utf8')), document);
    const plain = await get(`${system.url}/docs/json`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(JSON.parse(plain.body.toString('utf8')), document);

    const small = await get(`${system.url}/api/csrf-token`, { 'accept-encoding': 'br, gzip' });
    assert.equal(small.status, 200);
    assert.equal(small.headers['content-encoding'], undefined);
    assert.ok(JSON.parse(small.body.toString('utf8')).token);
  });

  it('takes request bodies as sent: a gzipped JSON body is not inflated into a signup', async () => {
    const first = await fetch(`${system.url}/api/csrf-token`);
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const { token } = (await first.json()) as { token: string };
    const body = gzipSync(JSON.stringify(signupRequest()));
    const response = await fetch(`${system.url}/api/signups`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-csrf-token': token, cookie }, body });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'MALFORMED_JSON');
  });
});
