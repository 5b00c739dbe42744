import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

// PGlite does not lock its data folder, and a second process would silently lose writes, so the
// folder gets a lock file. Deciding whether its holder still lives is the hard part: after a crash
// inside a container, the new process often has the very pid the old one had (pid 1, or the same
// small number), so "is this pid alive?" answers yes for a lock nobody holds. The lock file
// therefore records who holds it, precisely enough to tell:
//   { pid, host, bootId, startTicks, at }
// - same host and boot: the holder lives iff its pid is not ours and /proc/<pid>/stat shows the
//   same start time (a recycled pid has another one);
// - another host (another container on a shared volume) or no /proc: the holder touches the file
//   every HEARTBEAT_MS; a file not touched for STALE_AFTER_MS belongs to a process that is gone.
// Lock files of older versions hold only a pid: ours means stale, any other live pid means held.

export interface DataFolderLockOptions {
  /** A holder we cannot inspect is gone when its file was not touched for this long. */
  staleAfterMs?: number;
  heartbeatMs?: number;
}

interface Holder {
  pid: number;
  host: string | null;
  bootId: string | null;
  startTicks: string | null;
  at: string | null;
}

const DEFAULT_HEARTBEAT_MS = 5_000;
const DEFAULT_STALE_AFTER_MS = 30_000;

/** Lock files this process holds: our own pid in a file is stale only if it is not one of these. */
const heldHere = new Set<string>();

export function takeDataFolderLock(path: string, options: DataFolderLockOptions = {}): () => void {
  if (heldHere.has(path)) throw new Error(`The data folder is already open in this process (lock file ${path}).`);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      const me: Holder = { pid: process.pid, host: hostname(), bootId: bootId(), startTicks: startTicks(process.pid), at: new Date().toISOString() };
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      const heartbeat = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(path, now, now);
        } catch {
          // The folder went away: nothing to keep fresh.
        }
      }, heartbeatMs);
      heartbeat.unref();
      heldHere.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        heldHere.delete(path);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const verdict = inspect(path, staleAfterMs);
      if (verdict.held) {
        throw new Error(
          `The data folder is in use by another process (${verdict.who}, lock file ${path}). ` +
            'PGlite allows one process at a time: stop the other one, or set DATABASE_URL to share a PostgreSQL server.' +
            (verdict.expires ? ` If that process is gone, its lock expires ${Math.ceil(verdict.expires / 1000)} s after its last sign of life.` : ''),
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not take the lock file ${path}`);
}

function inspect(path: string, staleAfterMs: number): { held: boolean; who: string; expires?: number } {
  let text: string;
  let touchedMsAgo: number;
  try {
    text = readFileSync(path, 'utf8').trim();
    touchedMsAgo = Date.now() - statSync(path).mtimeMs;
  } catch {
    return { held: false, who: 'nobody' }; // removed meanwhile
  }
  const holder = parseHolder(text);
  if (!holder) return { held: false, who: 'an unreadable lock file' };
  const who = `pid ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}`;
  if (holder.pid === process.pid) return { held: false, who }; // a recycled pid: ours now
  const sameMachine = holder.host === hostname() && holder.bootId !== null && holder.bootId === bootId();
  if (sameMachine && holder.startTicks !== null && startTicks(process.pid) !== null) {
    // /proc works here: no such process, or one that started at another time, holds nothing.
    const current = startTicks(holder.pid);
    return { held: current !== null && current === holder.startTicks, who };
  }
  if (holder.at === null) {
    // An older lock file (only a pid): the best we can do is whether that pid lives.
    return { held: isAlive(holder.pid), who };
  }
  // Another host or no /proc: the holder's heartbeat decides.
  return touchedMsAgo < staleAfterMs ? { held: true, who, expires: staleAfterMs - touchedMsAgo } : { held: false, who };
}

function parseHolder(text: string): Holder | undefined {
  if (/^\d+$/.test(text)) return { pid: Number(text), host: null, bootId: null, startTicks: null, at: null };
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return { pid: value.pid, host: value.host ?? null, bootId: value.bootId ?? null, startTicks: value.startTicks ?? null, at: value.at ?? new Date(0).toISOString() };
  } catch {
    return undefined;
  }
}

/** The kernel's boot id: a pid and a start time only mean something within one boot. */
function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. */
export function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
