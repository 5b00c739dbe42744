import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../../../server/db/database.ts';
import { defaultSignupLimits } from '../../../server/modules/signup/signup.service.ts';
import { preferredBackend } from '../../support/database.ts';
import { Browser } from '../../support/http.ts';
import { startTestSystem } from '../../support/system.ts';

// Deployment settings an attacker could use: which proxies may name the client's address (every
// per-IP limit counts it), and who may read the embedded database's files.

const supportBody = { name: 'Mallory Example', email: 'mallory@example.com', message: 'A message long enough to be accepted.' };

async function supportRequests(url: string, forwardedFor: (i: number) => string, count: number) {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await new Browser(url).request('POST', '/api/support-requests', { body: supportBody, headers: { 'x-forwarded-for': forwardedFor(i) } });
    statuses.push(response.status);
  }
  return statuses;
}

describe('Security: deployment settings', () => {
  it('TRUST_PROXY=1: the address the proxy appended counts, not the ones a client forged before it', async () => {
    const system = await startTestSystem(preferredBackend(), { env: { TRUST_PROXY: '1' }, limits: defaultSignupLimits });
    try {
      // The test plays the one proxy: it appends the real client (203.0.113.9) to what the client sent.
      const statuses = await supportRequests(system.url!, (i) => `198.51.100.${i}, 203.0.113.9`, 12);
      assert.deepEqual(statuses, [...Array(10).fill(201), 429, 429]);
      const stored = await system.database.db.selectFrom('support_requests').select('ip').execute();
      assert.deepEqual([...new Set(stored.map((r) => r.ip))], ['203.0.113.9']);
    } finally {
      await system.dispose();
    }
  });

  it('TRUST_PROXY=<addresses>: a peer that is not a listed proxy cannot name the client', async () => {
    const system = await startTestSystem(preferredBackend(), { env: { TRUST_PROXY: '10.9.9.9, 192.168.0.0/16' }, limits: defaultSignupLimits });
    try {
      const statuses = await supportRequests(system.url!, (i) => `198.51.100.${i}`, 12);
      assert.deepEqual(statuses, [...Array(10).fill(201), 429, 429]);
      const stored = await system.database.db.selectFrom('support_requests').select('ip').execute();
      assert.deepEqual([...new Set(stored.map((r) => r.ip))], ['127.0.0.1']);
    } finally {
      await system.dispose();
    }
  });

  it('the PGlite data folder is 0700 and none of its files is open to others', async () => {
    const root = mkdtempSync(join(tmpdir(), 'totalone-private-'));
    const dataDir = join(root, 'data');
    const previous = process.umask(0); // the most permissive environment
    let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
    try {
      database = await openDatabase({ dataDir });
      await database.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
      assert.equal(lstatSync(dataDir).mode & 0o777, 0o700);
      assert.equal(lstatSync(join(dataDir, 'pglite')).mode & 0o777, 0o700);
      const open: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          const stat = lstatSync(path);
          if ((stat.mode & 0o077) !== 0 && !stat.isSymbolicLink()) open.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
          if (stat.isDirectory()) walk(path);
        }
      };
      walk(join(dataDir, 'pglite'));
      assert.deepEqual(open.slice(0, 5), [], `${open.length} files open to others`);
    } finally {
      process.umask(previous);
      await database?.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
