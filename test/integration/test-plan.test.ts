import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { nextFileIndex, processTreeCpuMs } from '../../scripts/test-plan.mjs';

// How the test runner (scripts/test.mjs) plans a run: what it measures of a file, and which file it
// hands out next.

describe('the test runner\u2019s plan', () => {
  const loads: Record<string, number> = { long: 0.9, waiting: 0.1, busy: 0.7, short: 0.3 };
  const loadOf = (file: string) => loads[file]!;

  it('hands out the longest file that fits beside the running ones, a shorter one when it does not fit, and none when nothing fits', () => {
    const queue = ['long', 'waiting', 'busy', 'short'];
    assert.equal(nextFileIndex(queue, [], loadOf, 1.6, false), 0);
    assert.equal(nextFileIndex(queue, [0.9], loadOf, 1.6, false), 1, 'the long one does not fit beside 0.9: the waiting one does');
    assert.equal(nextFileIndex(queue, [0.9, 0.5], loadOf, 1.6, false), 1);
    assert.equal(nextFileIndex(['long', 'busy', 'short'], [0.9, 0.5], loadOf, 1.6, false), -1, 'nothing fits: wait for a file to end');
    assert.equal(nextFileIndex([], [], loadOf, 1.6, false), -1);
  });

  it('hands the last free worker the busiest file that fits, so that files that mostly wait do not take every worker', () => {
    const queue = ['long', 'waiting', 'busy', 'short'];
    assert.equal(nextFileIndex(queue, [0.1, 0.1, 0.3], loadOf, 1.6, false, true), 0, 'the long one is the busiest that fits');
    assert.equal(nextFileIndex(queue, [0.1, 0.3, 0.4], loadOf, 1.6, false, true), 2, 'the long one does not fit beside 0.8: the busy one does');
    assert.equal(nextFileIndex(['waiting', 'short', 'busy'], [0.1, 0.1, 0.3], loadOf, 1.6, false, true), 2, 'not the longest, a waiting one');
    assert.equal(nextFileIndex(['waiting', 'short', 'busy'], [0.1, 0.1], loadOf, 1.6, false, false), 0, 'another worker is free: the longest');
    assert.equal(nextFileIndex(['long', 'busy'], [0.9, 0.5], loadOf, 1.6, false, true), -1, 'nothing fits: wait, as for any worker');
  });

  it('hands out the longest file anyway when nothing runs or the processors were mostly idle', () => {
    assert.equal(nextFileIndex(['long', 'busy'], [], loadOf, 0.5, false), 0);
    assert.equal(nextFileIndex(['long', 'busy'], [1.5], loadOf, 1.6, true), 0);
  });

  it('counts the CPU of the processes a file started, running or ended', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const before = processTreeCpuMs()!;
    // A child that uses 400 ms of CPU (by its own count, however busy the machine is), then ends.
    const child = spawn(process.execPath, ['-e', 'const start = process.cpuUsage(); for (;;) { const used = process.cpuUsage(start); if (used.user + used.system >= 400_000) break; }']);
    await new Promise((resolve) => child.once('exit', resolve));
    const after = processTreeCpuMs()!;
    assert.ok(after - before >= 380, `${after - before} ms counted for a child that used 400 ms of CPU`);
    assert.equal(processTreeCpuMs(2 ** 22 + 1), undefined, 'no such process');
  });
});
