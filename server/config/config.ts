import { isIP } from 'node:net';
import { z } from 'zod';
import { checkVaultEnv, vaultConfigFrom, vaultEnvShape, type VaultConfig } from '../modules/vault/vault.config.ts';

// The only place that reads process.env. Everything is parsed once at start-up and frozen; a bad
// environment stops start-up with every problem listed at once.

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const url = z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, ''));

/**
 * Which reverse proxies may set X-Forwarded-For (the client address every per-IP limit counts):
 * `false` (none, the default), a hop count (`1`: the one proxy in front), or a comma-separated
 * list of proxy addresses or CIDR ranges (`10.0.0.5, 10.1.0.0/16`; also Fastify's `loopback`,
 * `linklocal`, `uniquelocal`). `true` would trust any address a client writes into the header,
 * which turns every per-IP limit off, so it is refused.
 */
export type TrustProxy = false | number | string[];
const proxyNames = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustProxy = z.string().transform((raw, ctx): TrustProxy => {
  const value = raw.trim().toLowerCase();
  if (value === 'false' || value === '0') return false;
  if (value === 'true') {
    ctx.addIssue({ code: 'custom', message: 'cannot be `true`: that trusts any X-Forwarded-For a client sends, so every per-IP limit could be walked around. Give the number of proxies in front of the app (e.g. `1`) or their addresses (e.g. `10.0.0.5` or `10.0.0.0/8`).' });
    return z.NEVER;
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) ctx.addIssue({ code: 'custom', message: 'counts proxies in front of the app: at most 10.' });
    return hops;
  }
  const entries = value.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = entries.filter((entry) => {
    if (proxyNames.has(entry)) return false;
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    if (!family || extra !== undefined) return true;
    return bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `must be \`false\`, a hop count or a list of proxy addresses or CIDR ranges; not understood: ${bad.join(', ') || raw}` });
    return z.NEVER;
  }
  return entries;
});

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const isLoopback = (host: string) => loopbackHosts.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);

/** Why a production APP_SECRET is too weak to key tokens and sessions, or undefined. */
export function weakSecretReason(secret: Buffer): string | undefined {
  if (secret.every((byte) => byte === secret[0])) return 'is one byte repeated (e.g. all zeros)';
  if (secret.every((byte) => byte >= 0x20 && byte <= 0x7e)) return 'decodes to plain text (a password or phrase, base64-encoded), not random bytes';
  if (new Set(secret).size < Math.min(16, secret.length / 2)) return 'has too little variety to be random';
  return undefined;
}

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
    MICROSOFT_SETUP_APP_ID: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be the setup application\u2019s client ID (a GUID)').optional(),
    MICROSOFT_SETUP_APP_SECRET: z.string().min(1).optional(),
    ...vaultEnvShape,
    SYNC_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(500),
    SYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(500),
    SYNC_WORKERS: z.coerce.number().int().min(1).max(50).default(3),
    JOB_MAINTENANCE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
    OFFBOARDING_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
    SIGNUP_LINK_TTL_HOURS: z.coerce.number().min(1).max(24 * 14).default(48),
    VERIFICATION_LINK_TTL_HOURS: z.coerce.number().min(1).max(24 * 14).default(24),
    TRUST_PROXY: trustProxy.default(false),
    /** The demo's inbox and emulator have no sign-in: listening beyond this machine needs saying so. */
    DEMO_ON_NETWORK: bool.default(false),
    METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters (e.g. `openssl rand -base64 32`)').optional(),
  })
  .superRefine((env, ctx) => {
    checkVaultEnv(env, ctx);
    if (env.APP_MODE !== 'production') {
      if (!isLoopback(env.HOST) && !env.DEMO_ON_NETWORK) {
        ctx.addIssue({
          code: 'custom',
          path: ['HOST'],
          message: `is ${env.HOST}, beyond this machine, in demo mode: the demo inbox (/dev/mail) and the Microsoft emulator answer anyone without signing in. Listen on 127.0.0.1, or set DEMO_ON_NETWORK=true if this network is yours alone.`,
        });
      }
      return;
    }
    const need = (key: keyof typeof env, why: string) => {
      if (env[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required in production: ${why}` });
    };
    need('DATABASE_URL', 'the embedded PGlite database is for the demo only');
    need('APP_SECRET', 'link tokens and sessions must be signed with a key you control');
    need('SMTP_URL', 'emails must reach real inboxes');
    need('PUBLIC_URL', 'links in emails must point at the public address');
    if (env.START_EMULATOR) ctx.addIssue({ code: 'custom', path: ['START_EMULATOR'], message: 'cannot be true in production: the emulator is for demos and tests' });
    if (env.APP_SECRET !== undefined) {
      const reason = weakSecretReason(Buffer.from(env.APP_SECRET, 'base64'));
      if (reason) ctx.addIssue({ code: 'custom', path: ['APP_SECRET'], message: `${reason}: every token hash and session key derives from it. Use 32 random bytes: \`openssl rand -base64 32\`.` });
    }
    // Loopback stays allowed: nobody else can reach it (a local check of a production build).
    if (env.PUBLIC_URL?.startsWith('http://') && !isLoopback(new URL(env.PUBLIC_URL).hostname)) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'must start with https:// in production: over http:// the session cookies lose Secure and __Host-, and HSTS is off.' });
    }
    for (const key of ['MICROSOFT_AUTHORITY_HOST', 'MICROSOFT_GRAPH_URL', 'PARTNER_CENTER_URL'] as const) {
      if (!env[key].startsWith('https://')) ctx.addIssue({ code: 'custom', path: [key], message: 'must start with https:// in production: secrets and tokens travel to it.' });
    }
  });

export type Env = Record<string, string | undefined>;

export interface Config {
  mode: 'demo' | 'production';
  roles: ReadonlyArray<'web' | 'worker'>;
  http: { host: string; port: number; publicUrl: string | undefined; trustProxy: TrustProxy };
  log: { level: string };
  database: { url: string | undefined; poolSize: number; dataDir: string };
  /** Undefined in the demo: a random one is kept in the data folder. */
  appSecret: Buffer | undefined;
  mail: { smtpUrl: string | undefined; from: string; supportEmail: string; catcherSmtpPort: number };
  emulator: { start: boolean; port: number; scenario: string };
  /** Where Microsoft is. In the demo the built-in emulator replaces all three at start-up. */
  microsoft: {
    authorityHost: string;
    graphUrl: string;
    partnerCenterUrl: string;
    /** TotalOne's multi-tenant setup application ("Set up Microsoft for me"); absent: only the manual path. */
    setupApp?: { clientId: string; clientSecret: string };
  };
  links: { signupTtlHours: number; verificationTtlHours: number };
  vault: VaultConfig;
  /** Customer import: Partner Center's documented budget is 500 requests per minute per partner. */
  sync: { requestsPerMinute: number; pageSize: number; workers: number };
  /**
   * The job queue's upkeep: how often expired jobs (e.g. one fetched on a connection that dropped)
   * are found and handed out again, and finished jobs archived.
   */
  jobs: { maintenanceIntervalSeconds: number };
  /** `/metrics`: with a token, for requests bearing it; without, only from this machine (loopback). */
  metrics: { token: string | undefined };
  /** Days an offboarded partner's customers and contacts are kept before they are deleted. */
  offboardingRetentionDays: number;
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
    microsoft: {
      authorityHost: e.MICROSOFT_AUTHORITY_HOST, graphUrl: e.MICROSOFT_GRAPH_URL, partnerCenterUrl: e.PARTNER_CENTER_URL,
      ...(e.MICROSOFT_SETUP_APP_ID && e.MICROSOFT_SETUP_APP_SECRET ? { setupApp: { clientId: e.MICROSOFT_SETUP_APP_ID, clientSecret: e.MICROSOFT_SETUP_APP_SECRET } } : {}),
    },
    links: { signupTtlHours: e.SIGNUP_LINK_TTL_HOURS, verificationTtlHours: e.VERIFICATION_LINK_TTL_HOURS },
    vault: vaultConfigFrom(e, e.DATA_DIR),
    sync: { requestsPerMinute: e.SYNC_REQUESTS_PER_MINUTE, pageSize: e.SYNC_PAGE_SIZE, workers: e.SYNC_WORKERS },
    jobs: { maintenanceIntervalSeconds: e.JOB_MAINTENANCE_INTERVAL_SECONDS },
    metrics: { token: e.METRICS_TOKEN },
    offboardingRetentionDays: e.OFFBOARDING_RETENTION_DAYS,
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
