import pino, { type DestinationStream, type Logger } from 'pino';

// Every path below is replaced by "[redacted]" before a line is written. Tokens travel in request
// bodies and cookies only (never in URLs), so these paths plus the header list cover them.
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.token',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.webAppSecret',
  '*.refreshToken',
  '*.accessToken',
  '*.code',
  '*.codeVerifier',
  'token',
  'password',
  'secret',
  'sealedSecrets',
  '*.sealedSecrets',
];

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'totalone',
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        // Query strings can carry an OAuth code or state (Microsoft's redirect back): never logged.
        req: (req: { method?: string; url?: string; ip?: string; id?: string }) => ({ method: req.method, url: String(req.url ?? '').split('?')[0], remoteAddress: req.ip }),
      },
    },
    options.destination,
  );
}

export type { Logger };
