import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

// The runtimes the README names: Node 22/24 LTS in production, Node 20.19+ for the demo and tests.

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
};

describe('runtime', () => {
  it('package.json names Node 22/24 LTS for production and keeps Node 20.19+ for development', () => {
    assert.equal(pkg.engines.node, '^22.12 || >=24');
    assert.equal(pkg.devEngines.runtime.name, 'node');
    assert.equal(pkg.devEngines.runtime.version, '>=20.19 <21 || >=22.12');
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    assert.ok(major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19), `Node ${process.versions.node} is not a supported runtime`);
  });

  it('cookie@2 (declares Node 22, the EBADENGINE warning on Node 20) loads through require on this Node', () => {
    // light-my-request requires it; @fastify/cookie imports it. An ES module loaded by require
    // needs Node 20.19+ or 22.12+, which is why those are the floors.
    const require = createRequire(import.meta.url);
    const cookie = require('cookie') as { parseCookie: (s: string) => Record<string, string>; stringifySetCookie: (c: { name: string; value: string }) => string };
    assert.deepEqual({ ...cookie.parseCookie('a=1; b=two') }, { a: '1', b: 'two' });
    assert.equal(cookie.stringifySetCookie({ name: 'a', value: '1' }), 'a=1');
  });
});
