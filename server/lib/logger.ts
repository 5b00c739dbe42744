import pino, { type DestinationStream, type Logger } from 'pino';

// Secrets are redacted by their name, at any depth: a value whose key names a secret (a token, a
// password, a client secret, a cookie...) becomes "[redacted]" before the line is written. Codes
// stay readable: `code` is an error code (LINK_EXPIRED, ECONNRESET, AADSTS50011), which is what a
// log is read for; OAuth authorization codes travel only in query strings, which are never logged.
// The header paths below are redacted as well (pino's own mechanism, for request logs).
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

const secretNames = new Set(['authorization', 'cookie', 'set-cookie', 'x-csrf-token', 'token', 'password', 'passphrase', 'secret', 'secrets', 'key', 'otp', 'assertion', 'codeverifier', 'code_verifier']);
const secretSuffixes = ['token', 'secret', 'secrets', 'password', 'passphrase', 'privatekey', 'apikey', 'statuskey', 'verifier', 'assertion', 'cookie'];

/** Whether a field of this name holds a secret (exact names and suffixes, any case). */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return secretNames.has(lower) || secretSuffixes.some((suffix) => lower.endsWith(suffix));
}

function redactSecrets(value: unknown, depth: number): unknown {
  if (depth > 10 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  // Only plain objects are copied: a request, an error or a buffer goes to its serializer as is.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = isSecretName(key) && inner !== null && inner !== undefined ? '[redacted]' : redactSecrets(inner, depth + 1);
  return out;
}

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'totalone',
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => redactSecrets(object, 0) as Record<string, unknown> },
      serializers: {
        // An error's own fields are copied by the standard serializer: secrets among them too.
        err: (error: Error) => redactSecrets({ ...pino.stdSerializers.err(error) }, 0),
        // Query strings can carry an OAuth code or state (Microsoft's redirect back): never logged.
        req: (req: { method?: string; url?: string; ip?: string; id?: string }) => ({ method: req.method, url: String(req.url ?? '').split('?')[0], remoteAddress: req.ip }),
      },
    },
    options.destination,
  );
}

export type { Logger };
