import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

// Server-sent events that follow something changing on the server (a customer import, a Microsoft
// setup): the current view first, then the view again whenever it changes, read once a second,
// a comment now and then so proxies keep the connection, and an `end` event when nothing more will
// change. One small read per second per open page; the stream also ends when the reader's access
// ends (or a read is refused as the reader's own error, such as an ended session), after `maxMs`,
// or when the server stops.

export interface FollowOptions<T> {
  /** Name of the event that carries the view. */
  event: string;
  first: T;
  read: () => Promise<T>;
  /** True when the view will not change any more: the stream ends. */
  settled: (view: T) => boolean;
  /** Whether the reader may still read (checked every few seconds); a false ends the stream. */
  allowed?: () => Promise<boolean>;
  /** True once the server is stopping (open streams would otherwise hold up close()). */
  stopping: () => boolean;
  onReadError?: (error: unknown) => void;
  pollMs?: number;
  heartbeatMs?: number;
  maxMs?: number;
  accessCheckMs?: number;
}

export async function followOverEvents<T>(request: FastifyRequest, reply: FastifyReply, options: FollowOptions<T>): Promise<void> {
  const pollMs = options.pollMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxMs = options.maxMs ?? 30 * 60_000;
  const accessCheckMs = options.accessCheckMs ?? 5000;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write('retry: 3000\n\n');
  let closed = false;
  request.raw.on('close', () => {
    closed = true;
  });
  const send = (view: T) => raw.write(`event: ${options.event}\ndata: ${JSON.stringify(view)}\n\n`);
  let view = options.first;
  let last = JSON.stringify(view);
  send(view);
  const startedAt = Date.now();
  let lastWrite = Date.now();
  let lastAccessCheck = Date.now();
  while (!closed && !options.stopping() && !options.settled(view) && Date.now() - startedAt < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    if (closed) break;
    try {
      if (options.allowed && Date.now() - lastAccessCheck >= accessCheckMs) {
        lastAccessCheck = Date.now();
        if (!(await options.allowed().catch(() => false))) break;
      }
      view = await options.read();
    } catch (error) {
      if (error instanceof AppError && error.status < 500) break;
      options.onReadError?.(error);
      continue;
    }
    const text = JSON.stringify(view);
    if (text !== last) {
      last = text;
      send(view);
      lastWrite = Date.now();
    } else if (Date.now() - lastWrite >= heartbeatMs) {
      raw.write(': heartbeat\n\n');
      lastWrite = Date.now();
    }
  }
  if (!closed) {
    raw.write('event: end\ndata: {}\n\n');
    raw.end();
  }
}
