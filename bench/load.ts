import http from 'node:http';

// A closed-loop load generator: `connections` clients, each sending its next request as soon as
// the previous one answers, for `seconds`. Runs in the same process as what it measures, so all
// figures carry the same client overhead and only their ratios are meaningful.

export interface LoadResult {
  requests: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function summarise(latencies: number[], errors: number, elapsedMs: number): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  return { requests: sorted.length, errors, perSecond: (sorted.length / elapsedMs) * 1000, p50: at(0.5), p99: at(0.99) };
}

/** Runs `task` from `connections` concurrent loops for `seconds` (after a warm-up). */
export async function closedLoop(connections: number, seconds: number, task: (worker: number, i: number) => Promise<boolean>, warmupSeconds = 1): Promise<LoadResult> {
  const run = async (duration: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    const end = performance.now() + duration * 1000;
    const started = performance.now();
    let counter = 0;
    await Promise.all(
      Array.from({ length: connections }, async (_, worker) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const ok = await task(worker, counter++).catch(() => false);
          if (ok) latencies.push(performance.now() - t0);
          else errors++;
        }
      }),
    );
    return record ? summarise(latencies, errors, performance.now() - started) : undefined;
  };
  await run(warmupSeconds, false);
  return (await run(seconds, true))!;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function request(url: string, options: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

export interface OpenLoopResult extends LoadResult {
  /** Requests due while `maxInFlight` were still waiting: never sent, counted apart from errors. */
  dropped: number;
  /** Requests the schedule asked for. */
  scheduled: number;
}

/**
 * Sends `task` at a fixed rate for `seconds` (after a warm-up at the same rate), whatever the
 * answers' pace: an open loop, as independent visitors arrive. Latency counts from the moment a
 * request was due, so a slow answer that delays the sender is not hidden (no coordinated
 * omission).
 */
export async function openLoop(ratePerSecond: number, seconds: number, task: (i: number) => Promise<boolean>, options: { warmupSeconds?: number; maxInFlight?: number } = {}): Promise<OpenLoopResult> {
  const maxInFlight = options.maxInFlight ?? 1000;
  const interval = 1000 / ratePerSecond;
  let counter = 0;
  const run = async (duration: number) => {
    const latencies: number[] = [];
    let errors = 0;
    let dropped = 0;
    const inFlight = new Set<Promise<void>>();
    const scheduled = Math.round(duration * ratePerSecond);
    const started = performance.now();
    for (let i = 0; i < scheduled; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (inFlight.size >= maxInFlight) {
        dropped++;
        continue;
      }
      const sent: Promise<void> = task(counter++)
        .then(
          (ok) => {
            if (ok) latencies.push(performance.now() - due);
            else errors++;
          },
          () => {
            errors++;
          },
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
    await Promise.all(inFlight);
    return { ...summarise(latencies, errors, Math.max(performance.now() - started, duration * 1000)), dropped, scheduled };
  };
  await run(options.warmupSeconds ?? 2);
  return run(seconds);
}
