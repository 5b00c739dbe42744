// How scripts/test.mjs plans a run: which test file goes out next, and how much processor time a
// file kept busy, measured by the worker that ran it (scripts/test-worker.mjs).
import { readFileSync, readdirSync } from 'node:fs';

/**
 * The index in `queue` (longest first) of the file to hand out next: the first whose load fits
 * beside the loads already running, else the first when nothing runs or the processors were mostly
 * idle (`idle`), else -1 (wait for a running file to end).
 * For the last free worker (`lastWorker`), the busiest file that fits rather than the longest:
 * with every worker running a file that mostly waits (a retry's backoff, a process restarting),
 * the processors would stay idle until one of them ends.
 */
export function nextFileIndex(queue, runningLoads, loadOf, capacity, idle, lastWorker = false) {
  if (queue.length === 0) return -1;
  const used = runningLoads.reduce((sum, load) => sum + load, 0);
  const fits = (file) => used + loadOf(file) <= capacity;
  let index = queue.findIndex(fits);
  if (index >= 0 && lastWorker) {
    for (let i = index + 1; i < queue.length; i++) if (fits(queue[i]) && loadOf(queue[i]) > loadOf(queue[index])) index = i;
  }
  if (index >= 0) return index;
  return runningLoads.length === 0 || idle ? 0 : -1;
}

/**
 * The CPU time (ms) of process `root` and of every process below it, running or ended (a browser, a
 * server, a command-line tool), from Linux's /proc. Undefined where there is no /proc.
 */
export function processTreeCpuMs(root = process.pid) {
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const children = new Map();
  const ticks = new Map();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After "pid (command) ": state, ppid, ... utime, stime, cutime, cstime (fields 14-17 of proc(5));
    // cutime and cstime hold the processes it started that have ended.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    const ppid = Number(fields[1]);
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  if (!ticks.has(root)) return undefined;
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop();
    total += ticks.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  // Linux counts in clock ticks of 10 ms (USER_HZ is 100).
  return total * 10;
}
