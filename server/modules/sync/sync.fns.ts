import { createHmac, timingSafeEqual } from 'node:crypto';

// Pure parts of the customer sync: the request budget, the signed status key, keyset cursors and
// the progress figures the status page shows.

/**
 * A token bucket for one partner's Partner Center budget (Microsoft documents 500 requests per
 * minute per partner). `capacity` bounds a burst; tokens refill continuously. `take` waits for a
 * token; `penalise` spends tokens a retry used without asking (an answer we had to repeat).
 */
export function createTokenBucket(options: { perMinute: number; capacity?: number; now?: () => number; sleep?: (ms: number) => Promise<void> }) {
  const perMs = options.perMinute / 60_000;
  // Two seconds' worth: enough to catch up after a slow page, too little to overrun a fixed window.
  const capacity = Math.max(1, options.capacity ?? Math.ceil(options.perMinute / 30));
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let tokens = capacity;
  let at = now();
  // Callers are served in order: a waiting take holds its place.
  let queue: Promise<void> = Promise.resolve();

  function refill() {
    const t = now();
    tokens = Math.min(capacity, tokens + (t - at) * perMs);
    at = t;
  }

  async function takeOne(): Promise<void> {
    for (;;) {
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.max(1, Math.ceil((1 - tokens) / perMs)));
    }
  }

  return {
    capacity,
    take(): Promise<void> {
      const mine = queue.then(takeOne);
      queue = mine.catch(() => {});
      return mine;
    },
    penalise(count = 1) {
      refill();
      tokens -= count;
    },
    /** Microsoft asked for a pause: nothing goes out before it ends. */
    pauseFor(ms: number) {
      refill();
      tokens = Math.min(tokens, 0) - ms * perMs;
    },
    available() {
      refill();
      return tokens;
    },
  };
}

export type TokenBucket = ReturnType<typeof createTokenBucket>;

// --- the status link ---------------------------------------------------------------------------
// Emails carry a link to the status page that works without the browser that connected:
// `/status#key=<partner id>.<expiry, seconds>.<HMAC>`. It grants read access to this partner's
// status and tenant view only, until it expires; nothing is stored for it.

const STATUS_KEY = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export function signStatusKey(key: Buffer, partnerId: string, expiresAt: Date): string {
  const payload = `${partnerId}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${payload}.${createHmac('sha256', key).update(`status:${payload}`).digest('base64url')}`;
}

/** The partner a status key is for, or undefined when it is malformed, forged or expired. */
export function verifyStatusKey(key: Buffer, statusKey: string, now: Date): { partnerId: string; expiresAt: Date } | undefined {
  const match = STATUS_KEY.exec(statusKey);
  if (!match) return undefined;
  const [, partnerId, expires, mac] = match;
  const expected = createHmac('sha256', key).update(`status:${partnerId}.${expires}`).digest();
  const given = Buffer.from(mac!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const expiresAt = new Date(Number(expires) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return undefined;
  return { partnerId: partnerId!, expiresAt };
}

// --- keyset cursors ------------------------------------------------------------------------------

export interface CustomerCursor {
  /** The sort key (lower-cased name or domain) of the last row shown. */
  key: string;
  id: string;
}

export function encodeCursor(cursor: CustomerCursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string | undefined): CustomerCursor | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return { key: parsed[0], id: parsed[1] };
  } catch {
    /* fall through */
  }
  return undefined;
}

/** LIKE pattern for a prefix search: the user's %, _ and \ are literal. */
export function prefixPattern(search: string): string {
  return `${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// --- progress --------------------------------------------------------------------------------------

export interface ProgressInput {
  customersSeen: number;
  estimatedTotal: number | null;
  startedAt: Date;
  updatedAt: Date;
  status: 'running' | 'completed' | 'failed';
}

/** Customers per second so far and seconds left (when the total is known from an earlier run). */
export function progressFigures(input: ProgressInput): { ratePerSecond: number | null; secondsLeft: number | null; percent: number | null } {
  const elapsed = (input.updatedAt.getTime() - input.startedAt.getTime()) / 1000;
  const rate = elapsed >= 1 && input.customersSeen > 0 ? input.customersSeen / elapsed : null;
  const total = input.estimatedTotal;
  if (input.status !== 'running') return { ratePerSecond: rate === null ? null : round(rate), secondsLeft: input.status === 'completed' ? 0 : null, percent: input.status === 'completed' ? 100 : null };
  const remaining = total !== null ? Math.max(0, total - input.customersSeen) : null;
  return {
    ratePerSecond: rate === null ? null : round(rate),
    secondsLeft: rate !== null && remaining !== null ? Math.ceil(remaining / rate) : null,
    percent: total ? Math.min(99, Math.floor((input.customersSeen / total) * 100)) : null,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
