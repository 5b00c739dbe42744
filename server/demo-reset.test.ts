import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { takeDataFolderLock } from './db/data-folder-lock.ts';
import { resetDemo } from './demo-reset.ts';

function demoFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'totalone-demo-reset-'));
  mkdirSync(join(dir, 'pglite'));
  writeFileSync(join(dir, 'app-secret'), 'x');
  writeFileSync(join(dir, 'vault-keys.json'), '{}');
  return dir;
}

async function run(env: NodeJS.ProcessEnv, argv: string[] = [], answer = false) {
  const printed: string[] = [];
  const asked: string[] = [];
  const code = await resetDemo({ env, argv, print: (line) => printed.push(line), confirm: async (q) => (asked.push(q), answer) });
  return { code, printed: printed.join('\n'), asked };
}

describe('npm run demo:reset', () => {
  it('deletes the demo data folder after confirmation, or at once with --yes', async () => {
    const dir = demoFolder();
    const declined = await run({ DATA_DIR: dir });
    assert.equal(declined.code, 1);
    assert.match(declined.asked[0]!, /Delete .*every signup, email and operator of the demo/);
    assert.ok(existsSync(dir), 'nothing deleted without a yes');
    const confirmed = await run({ DATA_DIR: dir }, [], true);
    assert.equal(confirmed.code, 0);
    assert.ok(!existsSync(dir));
    assert.match(confirmed.printed, /npm start` begins a fresh demo/);

    const other = demoFolder();
    const flagged = await run({ DATA_DIR: other, APP_MODE: 'demo' }, ['--yes']);
    assert.equal(flagged.code, 0);
    assert.equal(flagged.asked.length, 0);
    assert.ok(!existsSync(other));
  });

  it('refuses outside the embedded demo, on a folder that holds more, and while the demo runs', async () => {
    const dir = demoFolder();
    try {
      assert.equal((await run({ DATA_DIR: dir, APP_MODE: 'production' }, ['--yes'])).code, 2);
      assert.match((await run({ DATA_DIR: dir, DATABASE_URL: 'postgres://x/y' }, ['--yes'])).printed, /PostgreSQL/);
      const release = takeDataFolderLock(join(dir, 'pglite.lock'));
      try {
        const running = await run({ DATA_DIR: dir }, ['--yes']);
        assert.equal(running.code, 2);
        assert.match(running.printed, /Stop the demo first/);
      } finally {
        release();
      }
      writeFileSync(join(dir, 'thesis.docx'), 'mine');
      const foreign = await run({ DATA_DIR: dir }, ['--yes']);
      assert.equal(foreign.code, 2);
      assert.match(foreign.printed, /thesis\.docx/);
      assert.ok(existsSync(join(dir, 'pglite')), 'nothing deleted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
