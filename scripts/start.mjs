// npm start (and npm run operator, npm run vault:rotate): runs the compiled server, never
// TypeScript. Usage: node scripts/start.mjs [main|operators|vault-rotate] [arguments...]
// - demo (the default): builds first when the build is missing or older than the sources, so
//   `npm install && npm start` works on a fresh clone;
// - production (APP_MODE=production): runs what `npm run build` made and never builds.
// The build runs in a child process; this process then loads only the compiled JavaScript.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIsCurrent } from './build.mjs';

const root = join(import.meta.dirname, '..');
const entries = new Set(['main', 'operators', 'vault-rotate']);
const entry = entries.has(process.argv[2] ?? '') ? process.argv.splice(2, 1)[0] : 'main';
const target = join(root, 'dist/server', `${entry}.js`);

if (process.env.APP_MODE === 'production') {
  if (!existsSync(target) || !existsSync(join(root, 'web/dist/index.html'))) {
    console.error('No build found: run `npm run build` before starting in production (it needs the development dependencies; the running server does not).');
    process.exit(2);
  }
} else if (!buildIsCurrent()) {
  console.log('Building the web app and the server (first start, or the sources changed)...');
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

await import(pathToFileURL(target).href);
