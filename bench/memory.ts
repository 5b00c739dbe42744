import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findFreePort } from '../server/lib/net.ts';
import { buildIsCurrent } from '../scripts/build.mjs';

// npm run bench:memory: starts the server as its own process, the way it runs for real, and
// prints its resident memory (RSS) at idle and its peak (VmHWM) against the budgets:
//   - production mode on PostgreSQL        idle <= 120 MB
//   - the demo on PGlite, first start       idle <= 350 MB (the first start creates the database)
//   - the demo on PGlite, later starts      idle <= 350 MB
// "Idle" is the median of the last samples after start-up, a few page loads and a quiet period.
// The server runs exactly as `npm start` runs it (the command of package.json's start script,
// without npm's own process in front); it is built first when the build is not current.
// BENCH_SERVER="node --import tsx server/main.ts" measures another way of starting it.

const startScript = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
const server = (process.env.BENCH_SERVER ?? startScript).split(/\s+/);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 15);
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MB = 1024 * 1024;

interface Memory {
  rss: number;
  peak: number;
}

export function processMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(label: string, env: Record<string, string>, budgetMb: number) {
  const [command, ...args] = server;
  const child = spawn(command === 'node' ? process.execPath : command!, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  try {
    const started = performance.now();
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /Signup page\s+(\S+)\/signup/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`${label}: the server exited (${code}) before it was ready:\n${output}`)));
      setTimeout(() => reject(new Error(`${label}: not ready after 180 s:\n${output}`)), 180_000).unref();
    });
    const startSeconds = (performance.now() - started) / 1000;
    // A visitor: the signup page, its script, a token; then quiet.
    for (let i = 0; i < 5; i++) {
      const page = await fetch(`${url}/signup`, { headers: { 'accept-encoding': 'br' } });
      const html = await page.text();
      for (const src of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) await (await fetch(`${url}${src[1]}`, { headers: { 'accept-encoding': 'br' } })).arrayBuffer();
      await (await fetch(`${url}/api/csrf-token`)).arrayBuffer();
    }
    const samples: number[] = [];
    for (let i = 0; i < idleSeconds * 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      samples.push(processMemory(child.pid!).rss);
    }
    const { peak } = processMemory(child.pid!);
    const idle = median(samples.slice(-10));
    const verdict = idle <= budgetMb * MB ? 'within budget' : 'OVER BUDGET';
    console.log(`  ${label.padEnd(34)} idle ${(idle / MB).toFixed(0).padStart(4)} MB   peak ${(peak / MB).toFixed(0).padStart(4)} MB   budget ${budgetMb} MB idle: ${verdict}   (ready in ${startSeconds.toFixed(1)} s)`);
    return { idle, peak };
  } finally {
    await stop(child);
  }
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function main() {
  if (!process.env.BENCH_SERVER && !buildIsCurrent()) {
    console.log('Building first (npm run build)...');
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the build failed');
  }
  console.log(`Memory of the server process (${server.join(' ')}), Node ${process.version}\n`);
  const secret = randomBytes(32).toString('base64');

  // Production on PostgreSQL: a database of its own, an SMTP server that is never contacted at idle.
  const name = `totalone_bench_memory_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    const data = mkdtempSync(join(tmpdir(), 'totalone-memory-prod-'));
    const port = await findFreePort();
    try {
      await measure('production, PostgreSQL', {
        APP_MODE: 'production',
        DATABASE_URL: url.toString(),
        APP_SECRET: secret,
        SMTP_URL: 'smtp://127.0.0.1:2',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: data,
      }, 120);
    } finally {
      rmSync(data, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } catch (error) {
    console.log(`  production, PostgreSQL: skipped (${error instanceof Error ? error.message.split('\n')[0] : error})`);
  } finally {
    await admin.end().catch(() => {});
  }

  // The demo: PGlite in a fresh data folder (first start creates it), then started again.
  const data = mkdtempSync(join(tmpdir(), 'totalone-memory-demo-'));
  try {
    const demo = { APP_MODE: 'demo', DATA_DIR: data, MAIL_CATCHER_SMTP_PORT: '0', EMULATOR_PORT: '0' };
    await measure('demo, PGlite, first start', demo, 350);
    await measure('demo, PGlite, next start', demo, 350);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
