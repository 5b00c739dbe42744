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
    },
    options.destination,
  );
}

export type { Logger };
