import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Emulator } from '../../emulator/index.ts';
import { loadConfig } from '../../server/config/config.ts';
import { startSystem, type System, type SystemOverrides } from '../../server/app/system.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { defaultSignupLimits, type SignupLimits } from '../../server/modules/signup/signup.service.ts';
import { createTestDatabase, type Backend, type TestDatabase } from './database.ts';
import { scratchFolder } from './scratch.ts';

// Starts the real system for a test: HTTP on a free port, a real database (PGlite or PostgreSQL),
// pg-boss, the SMTP mail catcher on a free port. Tests configure it; nothing in server/ knows tests.

export interface TestSystem extends System {
  db: TestDatabase;
  clock: ReturnType<typeof manualClock>;
  logLines: string[];
  /** Stops the system; the database stays until `dispose()`. */
  stop(): Promise<void>;
  /** Starts another system on the same database (a restart), sharing clock and log capture. */
  restart(options?: { roles?: Array<'web' | 'worker'> }): Promise<TestSystem>;
  dispose(): Promise<void>;
}

let vaultCounter = 0;

export const generousLimits: SignupLimits = Object.fromEntries(
  Object.entries(defaultSignupLimits).map(([key, limit]) => [key, { ...limit, max: 100_000 }]),
) as unknown as SignupLimits;

export async function startTestSystem(
  backend: Backend,
  options: { roles?: Array<'web' | 'worker'>; limits?: SignupLimits; webDist?: string; env?: Record<string, string>; database?: TestDatabase; clock?: ReturnType<typeof manualClock>; logLines?: string[]; vaultKeyFile?: string; emulator?: Emulator } = {},
): Promise<TestSystem> {
  const database = options.database ?? (await createTestDatabase(backend));
  const clock = options.clock ?? manualClock(new Date());
  // One key file per test database, so a restart finds the same vault keys.
  const vaultKeyFile = options.vaultKeyFile ?? join(scratchFolder(), `vault-${database.backend}-${vaultCounter++}.json`);
  const logLines = options.logLines ?? [];
  const capture = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const config = loadConfig({
    APP_MODE: 'demo',
    ROLES: (options.roles ?? ['web', 'worker']).join(','),
    HOST: '127.0.0.1',
    PORT: '0',
    MAIL_CATCHER_SMTP_PORT: '0',
    START_EMULATOR: 'false',
    LOG_LEVEL: 'debug',
    APP_SECRET: Buffer.alloc(32, 7).toString('base64'),
    DATABASE_URL: database.url ?? '',
    DATA_DIR: '/nonexistent-test-data-dir',
    VAULT_KEY_FILE: vaultKeyFile,
    ...(options.emulator
      ? {
          MICROSOFT_AUTHORITY_HOST: options.emulator.endpoints.authorityHost, MICROSOFT_GRAPH_URL: options.emulator.endpoints.graph, PARTNER_CENTER_URL: options.emulator.endpoints.partnerCenter,
          ...(options.emulator.setupApp ? { MICROSOFT_SETUP_APP_ID: options.emulator.setupApp.appId, MICROSOFT_SETUP_APP_SECRET: options.emulator.setupApp.secret } : {}),
        }
      : {}),
    ...options.env,
  });
  const overrides: SystemOverrides = {
    clock,
    logger: createLogger({ level: 'debug', destination: capture }),
    limits: options.limits ?? generousLimits,
    webDist: options.webDist ?? '/nonexistent-web-dist',
    ...(database.pglite ? { pglite: database.pglite } : {}),
    ...(database.pool ? { pgPool: database.pool } : {}),
  };
  const system = await startSystem(config, overrides);
  const testSystem: TestSystem = {
    ...system,
    db: database,
    clock,
    logLines,
    // The Microsoft emulator the system talks to: the test's, or the built-in one.
    emulator: options.emulator ?? system.emulator,
    stop: () => system.close(),
    restart: (restartOptions = {}) =>
      startTestSystem(backend, { ...options, ...restartOptions, database, clock, logLines, vaultKeyFile }),
    async dispose() {
      await system.close();
      await database.drop();
    },
  };
  return testSystem;
}
