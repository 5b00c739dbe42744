import { z } from 'zod';
import { checkVaultEnv, vaultConfigFrom, vaultEnvShape, type VaultConfig } from '../modules/vault/vault.config.ts';

// The only place that reads process.env. Everything is parsed once at start-up and frozen; a bad
// environment stops start-up with every problem listed at once.

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const url = z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, ''));

const envSchema = z
  .object({
    APP_MODE: z.enum(['demo', 'production']).default('demo'),
    ROLES: z
      .string()
      .default('web,worker')
      .transform((v) => v.split(',').map((r) => r.trim()).filter(Boolean))
      .pipe(z.array(z.enum(['web', 'worker'])).min(1)),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    PUBLIC_URL: url.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
    DATA_DIR: z.string().min(1).default('./data'),
    APP_SECRET: z
      .string()
      .optional()
      .refine((v) => v === undefined || Buffer.from(v, 'base64').length >= 32, 'must be at least 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)'),
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    MAIL_FROM: z.string().min(3).default('TotalOne Signup <signup@totalone.example>'),
    SUPPORT_EMAIL: z.email().default('support@totalone.example'),
    MAIL_CATCHER_SMTP_PORT: port.default(2525),
    START_EMULATOR: bool.optional(),
    EMULATOR_PORT: port.default(4010),
    EMULATOR_SCENARIO: z.string().min(1).default('ready'),
    MICROSOFT_AUTHORITY_HOST: url.default('https://login.microsoftonline.com'),
    MICROSOFT_GRAPH_URL: url.default('https://graph.microsoft.com/v1.0'),
    PARTNER_CENTER_URL: url.default('https://api.partnercenter.microsoft.com/v1'),
    ...vaultEnvShape,
    SYNC_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(500),
    SYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(500),
    SYNC_WORKERS: z.coerce.number().int().min(1).max(50).default(3),
    SIGNUP_LINK_TTL_HOURS: z.coerce.number().min(1).max(24 * 14).default(48),
    VERIFICATION_LINK_TTL_HOURS: z.coerce.number().min(1).max(24 * 14).default(24),
    TRUST_PROXY: bool.default(false),
  })
  .superRefine((env, ctx) => {
    checkVaultEnv(env, ctx);
    if (env.APP_MODE !== 'production') return;
    const need = (key: keyof typeof env, why: string) => {
      if (env[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required in production: ${why}` });
    };
    need('DATABASE_URL', 'the embedded PGlite database is for the demo only');
    need('APP_SECRET', 'link tokens and sessions must be signed with a key you control');
    need('SMTP_URL', 'emails must reach real inboxes');
    need('PUBLIC_URL', 'links in emails must point at the public address');
    if (env.START_EMULATOR) ctx.addIssue({ code: 'custom', path: ['START_EMULATOR'], message: 'cannot be true in production: the emulator is for demos and tests' });
  });

export type Env = Record<string, string | undefined>;

export interface Config {
  mode: 'demo' | 'production';
  roles: ReadonlyArray<'web' | 'worker'>;
  http: { host: string; port: number; publicUrl: string | undefined; trustProxy: boolean };
  log: { level: string };
  database: { url: string | undefined; poolSize: number; dataDir: string };
  /** Undefined in the demo: a random one is kept in the data folder. */
  appSecret: Buffer | undefined;
  mail: { smtpUrl: string | undefined; from: string; supportEmail: string; catcherSmtpPort: number };
  emulator: { start: boolean; port: number; scenario: string };
  /** Where Microsoft is. In the demo the built-in emulator replaces all three at start-up. */
  microsoft: { authorityHost: string; graphUrl: string; partnerCenterUrl: string };
  links: { signupTtlHours: number; verificationTtlHours: number };
  vault: VaultConfig;
  /** Customer import: Partner Center's documented budget is 500 requests per minute per partner. */
  sync: { requestsPerMinute: number; pageSize: number; workers: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  // Empty strings mean "not set": shells and .env files produce them easily.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`));
  }
  const e = parsed.data;
  return deepFreeze({
    mode: e.APP_MODE,
    roles: e.ROLES,
    http: { host: e.HOST, port: e.PORT, publicUrl: e.PUBLIC_URL, trustProxy: e.TRUST_PROXY },
    log: { level: e.LOG_LEVEL },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, dataDir: e.DATA_DIR },
    appSecret: e.APP_SECRET ? Buffer.from(e.APP_SECRET, 'base64') : undefined,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, supportEmail: e.SUPPORT_EMAIL, catcherSmtpPort: e.MAIL_CATCHER_SMTP_PORT },
    emulator: { start: e.START_EMULATOR ?? e.APP_MODE === 'demo', port: e.EMULATOR_PORT, scenario: e.EMULATOR_SCENARIO },
    microsoft: { authorityHost: e.MICROSOFT_AUTHORITY_HOST, graphUrl: e.MICROSOFT_GRAPH_URL, partnerCenterUrl: e.PARTNER_CENTER_URL },
    links: { signupTtlHours: e.SIGNUP_LINK_TTL_HOURS, verificationTtlHours: e.VERIFICATION_LINK_TTL_HOURS },
    vault: vaultConfigFrom(e, e.DATA_DIR),
    sync: { requestsPerMinute: e.SYNC_REQUESTS_PER_MINUTE, pageSize: e.SYNC_PAGE_SIZE, workers: e.SYNC_WORKERS },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
