// Runs every *.test.ts file with node's test runner (Node 20 does not expand globs in --test).
// Usage: node scripts/test.mjs [--unit] [path-prefix ...]   e.g. node scripts/test.mjs emulator server/modules/signup
//
// --unit (npm run test:unit): the unit tests only, files beside the code under server/, contracts/,
// web/src/ and emulator/ (not emulator/test/) whose name does not end in .int.test.ts. A unit test
// needs no database, HTTP server, emulator, child process or browser; a file that does is named
// *.int.test.ts, and --unit refuses to run a unit-named file that reaches for one of them.
// Without --unit the unit files still run together in one process, then every other file in a
// process of its own, the longest first (as measured by the last run here: .tmp/test-durations.json).
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const roots = ['server', 'contracts', 'emulator', 'web/src', 'test'];
const skip = new Set(['node_modules', 'dist', 'data']);
const found = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) found.push(relative('.', path));
  }
}
roots.forEach(walk);
const args = process.argv.slice(2);
const unit = args.includes('--unit');
const filters = args.filter((a) => a !== '--unit');
const isUnit = (f) => ['server/', 'contracts/', 'web/src/', 'emulator/'].some((root) => f.startsWith(root)) && !f.startsWith('emulator/test/') && !f.endsWith('.int.test.ts');
const files = found.sort().filter((f) => (filters.length === 0 || filters.some((p) => f.startsWith(p))) && (!unit || isUnit(f)));
{
  // Unit files run together in one process (below): one that starts a harness must be an .int file.
  const harness = /createTestDatabase|startTestSystem|startEmulator|@electric-sql\/pglite|from 'pg'|node:child_process|playwright|\.listen\(/;
  const misnamed = files.filter(isUnit).filter((f) => harness.test(readFileSync(f, 'utf8')));
  if (misnamed.length > 0) {
    console.error(`These files start a database, server, emulator, process or browser: name them *.int.test.ts\n  ${misnamed.join('\n  ')}`);
    process.exit(1);
  }
}
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const unitRun = (unitFiles) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', unitFiles.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n')], { stdio: 'inherit' }).status ?? 1;
if (unit) process.exit(unitRun(files));

// Unit tests share one process: starting a process (and the TypeScript loader) per file costs more
// than the tests themselves. The other files run a process each, two at a time by default, the
// longest first, so the run does not end waiting for one long file started last.
const unitFiles = files.filter(isUnit);
const otherFiles = files.filter((f) => !isUnit(f));
let status = unitFiles.length > 0 ? unitRun(unitFiles) : 0;
if (otherFiles.length > 0) {
  const durationsFile = join('.tmp', 'test-durations.json');
  let measured = {};
  try { measured = JSON.parse(readFileSync(durationsFile, 'utf8')); } catch { /* no earlier run here */ }
  // Never measured here (a fresh checkout, CI): browser journeys are the longest, then the larger files.
  const estimate = (f) => measured[f] ?? statSync(f).size * (f.startsWith('test/browser/') ? 8 : 4);
  const ordered = [...otherFiles].sort((a, b) => estimate(b) - estimate(a));
  const reporter = process.stdout.isTTY ? 'spec' : 'tap';
  mkdirSync('.tmp', { recursive: true });
  const result = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    `--test-reporter=${reporter}`, '--test-reporter-destination=stdout',
    `--test-reporter=${pathToFileURL(join('scripts', 'test-durations.mjs')).href}`, `--test-reporter-destination=${durationsFile}.new`,
    ...ordered,
  ], { stdio: 'inherit' });
  try {
    const latest = JSON.parse(readFileSync(`${durationsFile}.new`, 'utf8'));
    writeFileSync(durationsFile, JSON.stringify({ ...measured, ...latest }, null, 1));
    rmSync(`${durationsFile}.new`);
  } catch { /* the run ended before its reporter wrote */ }
  if (status === 0) status = result.status ?? 1;
}
process.exit(status);
