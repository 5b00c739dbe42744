import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../../scripts/build-server.mjs';
import { childAppEnv, startChildApp, type ChildApp } from '../support/child-app.ts';
import { createTestDatabase, migratedDemoDataFolder } from '../support/database.ts';
import { findFreePort } from '../../server/lib/net.ts';
import { comparableStartup, readmeStartupSample } from '../support/readme.ts';
import { scratchDir } from '../support/scratch.ts';

// The compiled server (npm run build) as production and the demo run it: plain JavaScript from
// dist/, no TypeScript compiler in the process; production never loads the emulator, the mail
// catcher or the embedded database; the demo loads them from the same build when it starts them.

const outDir = resolve('.tmp', `server-build-${process.pid}`);
const modulesOf = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean);

async function startCompiled(name: string, env: Record<string, string>): Promise<{ app: ChildApp; log: string }> {
  const log = join(scratchDir('modules-'), 'modules.txt');
  const app = await startChildApp({
    name,
    env: { ...env, MODULE_LOG: log, LOG_LEVEL: 'warn' },
    args: ['--import', './test/support/module-log.mjs', join(outDir, 'main.js')],
    startTimeoutMs: 180_000,
  });
  return { app, log };
}

function assertCompiledOnly(modules: string[]) {
  assert.ok(modules.some((url) => url.endsWith(`${outDir}/main.js`)), 'the compiled entry point ran');
  assert.ok(modules.some((url) => url.includes('/node_modules/fastify/')), 'the log saw the server load its packages');
  const typescript = modules.filter((url) => /\.(c|m)?tsx?$/.test(url) || /\/node_modules\/(tsx|typescript|esbuild|rolldown|vite)\//.test(url));
  assert.deepEqual(typescript, [], 'no TypeScript source and no compiler in the running process');
}

describe('the compiled server (npm run build)', () => {
  before(async () => {
    await buildServer(outDir);
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('production on PostgreSQL runs compiled JavaScript and never loads the emulator, the mail catcher or PGlite', { skip: !process.env.TEST_POSTGRES_URL && 'needs TEST_POSTGRES_URL' }, async () => {
    const database = await createTestDatabase('postgres');
    const port = await findFreePort();
    const { app, log } = await startCompiled('production', childAppEnv({
      APP_MODE: 'production',
      // Production refuses the test systems' fixed secret (one byte repeated).
      APP_SECRET: randomBytes(32).toString('base64'),
      DATABASE_URL: database.url!,
      SMTP_URL: 'smtp://127.0.0.1:2',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      START_EMULATOR: '',
    }));
    try {
      assert.ok(app.output.some((line) => line.includes('production mode')), app.output.join('\n'));
      const ready = await fetch(`${app.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { checks: { database: string } }).checks.database, 'ok');
    } finally {
      await app.stop();
      await database.drop();
    }
    const modules = modulesOf(log);
    assertCompiledOnly(modules);
    const demoOnly = modules.filter((url) => /\/chunks\/(emulator|mail\.catcher)-|\/node_modules\/(smtp-server|mailparser|@electric-sql\/pglite)\//.test(url));
    assert.deepEqual(demoOnly, [], 'nothing of the demo in a production process');
  });

  it('the demo on PGlite starts from the same build and loads the emulator and the mail catcher it runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'totalone-demo-build-'));
    // A data folder as a first start leaves it (that start itself: server/db/pglite-open.int.test.ts).
    await migratedDemoDataFolder(dataDir);
    const { app, log } = await startCompiled('demo', childAppEnv({ APP_MODE: 'demo', DATA_DIR: dataDir, START_EMULATOR: 'true', EMULATOR_PORT: '0', MAIL_CATCHER_SMTP_PORT: '0', APP_SECRET: '' }));
    try {
      assert.ok(app.output.some((line) => line.includes('built-in emulator')), app.output.join('\n'));
      // What `npm start` prints is what the README shows.
      const printed = app.output.map((line) => line.replace(/^\[demo\] /, ''));
      const first = printed.findIndex((line) => line.startsWith('TotalOne Signup is running'));
      const last = printed.findIndex((line) => line.startsWith('  Demo inbox'));
      const emulatorUrl = /Microsoft\s+(http:\/\/\S+)/.exec(printed.join('\n'))![1]!;
      const catcherPort = Number(/SMTP catcher on port (\d+)/.exec(printed.join('\n'))![1]);
      const actual = { appUrl: app.url!, emulatorUrl, catcherPort, dataDir };
      // (The child's output is collected without its blank lines.)
      assert.deepEqual(comparableStartup(printed.slice(first, last + 1), actual), comparableStartup(readmeStartupSample(), actual).filter(Boolean));
      const signup = await fetch(`${app.url}/api/csrf-token`);
      assert.equal(signup.status, 200);
      const inbox = await fetch(`${app.url}/dev/api/mail`);
      assert.notEqual(inbox.status, 404, 'the demo inbox is served');
    } finally {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const modules = modulesOf(log);
    assertCompiledOnly(modules);
    for (const expected of [/\/chunks\/emulator-/, /\/chunks\/mail\.catcher-/, /\/node_modules\/@electric-sql\/pglite\//]) {
      assert.ok(modules.some((url) => expected.test(url)), `the demo loaded ${expected}`);
    }
  });
});
