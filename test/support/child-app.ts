import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { compiledCommand } from './compiled.ts';
import { scratchDir } from './scratch.ts';

// The real entry point (server/main.ts: configuration, process guards, the system; compiled, as
// production runs it: test/support/compiled.ts) in a child process, for tests that must see the
// process survive (or not): dropped database connections, several instances starting at once. The
// test reads its output and its HTTP address.

export interface ChildApp {
  child: ChildProcess;
  /** Every line the process printed (stdout and stderr), prefixed with its name. */
  output: string[];
  /** http://127.0.0.1:port when the process runs the web role. */
  url: string | undefined;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface ChildAppOptions {
  name: string;
  env: Record<string, string>;
  /** Resolve as soon as the process has started (default) or right after spawning. */
  waitForStart?: boolean;
  startTimeoutMs?: number;
  /** Node arguments that start the server (default: the compiled entry point). */
  args?: string[];
}

export function childAppEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    APP_MODE: 'demo',
    ROLES: 'web,worker',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: scratchDir('child-'),
    APP_SECRET: Buffer.alloc(32, 7).toString('base64'),
    START_EMULATOR: 'false',
    ...overrides,
  };
}

export async function startChildApp(options: ChildAppOptions): Promise<ChildApp> {
  const child = spawn(process.execPath, options.args ?? (await compiledCommand('main')), { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let started = false;
  const app: ChildApp = {
    child,
    output,
    url: undefined,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (!app.alive()) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const collect = (chunk: Buffer) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      output.push(`[${options.name}] ${line}`);
      const signup = /Signup page\s+(http:\/\/[^/\s]+)\/signup/.exec(line);
      if (signup) app.url = signup[1];
      if (line.includes('TotalOne Signup is running')) started = true;
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  if (options.waitForStart === false) return Promise.resolve(app);
  return new Promise((resolve, reject) => {
    const timeout = options.startTimeoutMs ?? 60_000;
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start within ${timeout} ms:\n${output.join('\n')}`)), timeout);
    const check = setInterval(() => {
      // The banner is printed in one write; the URL line follows it in the same chunk.
      if (started && (app.url || !options.env.ROLES?.includes('web'))) {
        clearInterval(check);
        clearTimeout(timer);
        resolve(app);
      }
    }, 50);
    child.once('exit', (code, signal) => {
      clearInterval(check);
      clearTimeout(timer);
      if (!started) reject(new Error(`${options.name} exited (${code ?? signal}) before it started:\n${output.join('\n')}`));
    });
  });
}

/**
 * Terminates every session of `database` on the server (what a failover, a restart of a pooler or
 * an operator's pg_terminate_backend does to the app). Runs on a connection to another database,
 * so it never kills itself. Returns how many sessions it ended.
 */
export async function dropAllConnections(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) AS ended',
    [database],
  );
  return rows[0]?.n ?? 0;
}

/** A connection to the server's maintenance database, for dropAllConnections. */
export async function adminClient(serverUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  return client;
}

/** The database name of a PostgreSQL URL. */
export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
