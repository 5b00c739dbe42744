// npm run build: the web app (vite, with its brotli and gzip copies) and the server (plain
// JavaScript in dist/server), then a stamp of the sources they were built from. `npm start` in
// the demo rebuilds when the stamp no longer matches the sources.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const stampPath = join(root, 'dist/build-stamp.json');
const sourceDirs = ['server', 'contracts', 'emulator', 'web/src', 'web/public'];
const sourceFiles = ['web/index.html', 'web/vite.config.ts', 'package-lock.json', 'scripts/build.mjs', 'scripts/build-server.mjs'];

/** A fingerprint of what the build reads: every source file's path, size and modification time. */
export function sourceFingerprint() {
  const hash = createHash('sha256');
  const add = (path) => {
    const stat = statSync(path);
    hash.update(`${relative(root, path)}\0${stat.size}\0${stat.mtimeMs}\n`);
  };
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts')) add(path);
    }
  };
  for (const dir of sourceDirs) walk(join(root, dir));
  for (const file of sourceFiles) if (existsSync(join(root, file))) add(join(root, file));
  return hash.digest('hex');
}

/** True when dist/ and web/dist hold a build of the sources as they are now. */
export function buildIsCurrent() {
  if (!existsSync(join(root, 'dist/server/main.js')) || !existsSync(join(root, 'web/dist/index.html')) || !existsSync(stampPath)) return false;
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8')).sources === sourceFingerprint();
  } catch {
    return false;
  }
}

export async function buildAll() {
  const sources = sourceFingerprint();
  const web = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (web.status !== 0) throw new Error('the web app did not build');
  const { buildServer } = await import('./build-server.mjs');
  await buildServer();
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(stampPath, JSON.stringify({ sources, builtAt: new Date().toISOString() }) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  try {
    await buildAll();
  } catch (error) {
    console.error(`Build failed: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
  console.log(`Built the web app (web/dist) and the server (dist/server) in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}
