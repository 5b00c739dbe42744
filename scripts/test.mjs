// Runs every *.test.ts file with node's test runner (Node 20 does not expand globs in --test).
// Usage: node scripts/test.mjs [--unit] [path-prefix ...]   e.g. node scripts/test.mjs emulator server/modules/signup
//
// --unit (npm run test:unit): the unit tests only, files beside the code under server/, contracts/,
// web/src/ and emulator/ (not emulator/test/) whose name does not end in .int.test.ts. A unit test
// needs no database, HTTP server, emulator, child process or browser; a file that does is named
// *.int.test.ts, and --unit refuses to run a unit-named file that reaches for one of them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
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
if (unit) {
  const harness = /createTestDatabase|startTestSystem|startEmulator|@electric-sql\/pglite|from 'pg'|node:child_process|playwright|\.listen\(/;
  const misnamed = files.filter((f) => harness.test(readFileSync(f, 'utf8')));
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
// Unit tests share one process: starting a process (and the TypeScript loader) per file costs more
// than the tests themselves.
const result = unit
  ? spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', files.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n')], { stdio: 'inherit' })
  : spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
