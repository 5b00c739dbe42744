import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { compiledCommand } from '../../test/support/compiled.ts';

// Each case runs in its own process (test/support/guarded-process.ts): the guards act on the
// whole process, and the test runner has guards of its own.
async function run(mode: string) {
  const command = await compiledCommand('guarded-process');
  const result = await new Promise<{ status: number | null; output: string }>((resolve) => {
    execFile(process.execPath, [...command, mode], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: `${stdout}${stderr}` });
    });
  });
  const lines = result.output.split('\n').filter(Boolean);
  return { status: result.status, lines, levels: lines.map((l) => /"level":(\d+)/.exec(l)?.[1]).filter(Boolean) };
}

describe('process guards', () => {
  it('a lost database connection nobody listened to is logged as a warning and the process carries on', async () => {
    for (const mode of ['connection-exception', 'connection-rejection']) {
      const result = await run(mode);
      assert.equal(result.status, 0, result.lines.join('\n'));
      assert.ok(result.lines.includes('CARRIED_ON'));
      assert.deepEqual(result.levels, ['40'], mode);
    }
  });

  it('any other unhandled rejection is logged as an error; the process carries on', async () => {
    const result = await run('other-rejection');
    assert.equal(result.status, 0, result.lines.join('\n'));
    assert.deepEqual(result.levels, ['50']);
    assert.ok(result.lines.some((l) => l.includes('unhandled promise rejection') && l.includes('x is undefined')));
  });

  it('any other uncaught exception stops the system cleanly, then exits with status 1', async () => {
    const result = await run('other-exception');
    assert.equal(result.status, 1, result.lines.join('\n'));
    assert.ok(result.lines.includes('SHUTDOWN'));
    assert.ok(!result.lines.includes('CARRIED_ON'));
    assert.deepEqual(result.levels, ['60']);
  });
});
