// Runs every *.test.ts file with node's test runner (Node 20 does not expand globs in --test).
// Usage: node scripts/test.mjs [path-prefix ...]   e.g. node scripts/test.mjs emulator server/modules/signup
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

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
const filters = process.argv.slice(2);
const files = found.sort().filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
