// Runs every *.test.ts file with node's test runner (Node 20 does not expand globs in --test).
// Usage: node scripts/test.mjs [--unit] [path-prefix ...]   e.g. node scripts/test.mjs emulator server/modules/signup
//
// --unit (npm run test:unit): the unit tests only, files beside the code under server/, contracts/,
// web/src/ and emulator/ (not emulator/test/) whose name does not end in .int.test.ts. A unit test
// needs no database, HTTP server, emulator, child process or browser; a file that does is named
// *.int.test.ts, and --unit refuses to run a unit-named file that reaches for one of them.
// Without --unit the unit files still run together in one process, and every other file runs in
// one of a few worker processes, the longest first while its load fits the processors (as
// measured by the last run here, .tmp/test-durations.json, or the run recorded in test/durations.json).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { nextFileIndex } from './test-plan.mjs';

const roots = ['server', 'contracts', 'emulator', 'web/src', 'test'];
const skip = new Set(['node_modules', 'dist', 'data']);
const found = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) found.push(relative('.', path));
  }
}
roots.forEach(walk);
const args = process.argv.slice(2);
const unit = args.includes('--unit');
const filters = args.filter((a) => a !== '--unit');
const isUnit = (f) => ['server/', 'contracts/', 'web/src/', 'emulator/'].some((root) => f.startsWith(root)) && !f.startsWith('emulator/test/') && !f.endsWith('.int.test.ts');
const files = found.sort().filter((f) => (filters.length === 0 || filters.some((p) => f.startsWith(p))) && (!unit || isUnit(f)));
{
  // Unit files run together in one process (below): one that starts a harness must be an .int file.
  const harness = /createTestDatabase|startTestSystem|startEmulator|@electric-sql\/pglite|from 'pg'|node:child_process|playwright|\.listen\(/;
  const misnamed = files.filter(isUnit).filter((f) => harness.test(readFileSync(f, 'utf8')));
  if (misnamed.length > 0) {
    console.error(`These files start a database, server, emulator, process or browser: name them *.int.test.ts\n  ${misnamed.join('\n  ')}`);
    process.exit(1);
  }
}
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
// Up to four files at a time (as many as fit the processors, see below): most test files spend
// much of their time waiting (a retry's backoff, a throttled page, a child process
// starting), and waiting costs next to no CPU since job workers are woken rather than polled.
const concurrency = Number(process.env.TEST_CONCURRENCY ?? '4');
const isolated = process.env.TEST_ISOLATION === 'process';
const started = Date.now();

// The test files, with the modules of ours they import, compiled to JavaScript for this run
// (scripts/test-build.mjs), so the test processes run without the TypeScript loader; and the entry
// points some tests start as processes. Built together, before any test starts (about half a second).
// TEST_ISOLATION=process runs the TypeScript files themselves through the loader, as `node --test` does.
const { buildTestEntries, buildTestFiles, compiledTestFile, testBuildVariable, testFilesVariable } = await import('./test-build.mjs');
// The build folders of runs that ended without removing theirs (Ctrl-C) go now.
for (const entry of existsSync('.tmp') ? readdirSync('.tmp') : []) {
  const pid = Number(/^test-(?:build|files)-(\d+)$/.exec(entry)?.[1]);
  if (!pid || pid === process.pid) continue;
  try {
    process.kill(pid, 0); // that run is still going
  } catch (error) {
    if (error.code === 'ESRCH') rmSync(join('.tmp', entry), { recursive: true, force: true });
  }
}
/** `.tmp/<name>-<pid>`, removed when this run exits. */
const temporaryFolder = (name) => {
  const folder = join(process.cwd(), '.tmp', `${name}-${process.pid}`);
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  return folder;
};
const needsEntries = !unit && files.some((f) => !isUnit(f)) && !process.env[testBuildVariable];
const compiledFiles = isolated ? undefined : temporaryFolder('test-files');
try {
  await Promise.all([
    compiledFiles && buildTestFiles(files, compiledFiles),
    needsEntries && buildTestEntries((process.env[testBuildVariable] = temporaryFolder('test-build'))),
  ]);
} catch (error) {
  console.error(`The tests could not be compiled to JavaScript:\n${error?.message ?? error}`);
  process.exit(1);
}
if (compiledFiles) process.env[testFilesVariable] = compiledFiles;
// Compiled files keep stack traces pointing at the TypeScript through their source maps.
const loaderArgs = compiledFiles ? ['--enable-source-maps'] : ['--import', 'tsx'];
const importUrl = (f) => pathToFileURL(compiledFiles ? compiledTestFile(compiledFiles, f) : f).href;
const unitArgs = (unitFiles) => [...loaderArgs, '--input-type=module', '-e', unitFiles.map((f) => `await import(${JSON.stringify(importUrl(f))});`).join('\n')];
if (unit) process.exit(spawnSync(process.execPath, unitArgs(files), { stdio: 'inherit' }).status ?? 1);

// The other files are handed out, the longest first, to `concurrency` worker processes that import
// them one after another (scripts/test-worker.mjs): starting a process and loading
// the server's modules costs seconds, and a process that has run a few tests runs the next ones on
// warm code. TEST_ISOLATION=process runs a process per file instead (node --test), to rule out one
// file disturbing another. The unit files run together in a process of their own alongside.
const unitFiles = files.filter(isUnit);
const otherFiles = files.filter((f) => !isUnit(f));
const durationsFile = join('.tmp', 'test-durations.json');
// How long each file took: measured by the last run here, else by the run recorded in the
// repository (test/durations.json, refreshed with `cp .tmp/test-durations.json test/durations.json`
// after a full run on both databases, as CI runs), so a fresh checkout (CI) also starts the longest
// files first and no long file is left to run alone at the end.
// Each entry is [wall ms, CPU ms of the file with the processes it started] (or, as once written,
// the wall time alone).
let measured = {};
for (const file of [join('test', 'durations.json'), durationsFile]) {
  try { measured = { ...measured, ...JSON.parse(readFileSync(file, 'utf8')) }; } catch { /* not there */ }
}
/** A file's last measurement in either form: { wallMs, cpuMs } (either undefined when not measured). */
const measurementOf = (f) => (Array.isArray(measured[f]) ? { wallMs: measured[f][0], cpuMs: measured[f][1] } : { wallMs: measured[f], cpuMs: undefined });
// Never measured (a new file): browser journeys are the longest, then the larger files.
const estimate = (f) => measurementOf(f).wallMs ?? statSync(f).size * (f.startsWith('test/browser/') ? 8 : 4);
const cores = availableParallelism();
// The processors' worth of work handed out at once (see handOut below).
const capacity = cores * Number(process.env.TEST_LOAD ?? '0.8');
/**
 * How many processors a file keeps busy while it runs (its CPU, with the browser and processes it
 * starts, over its wall time): most files wait much of the time (a retry's backoff, a process
 * restarting, a throttled page), a few keep more than one processor busy (a browser journey).
 * Never measured: about one processor.
 */
const loadOf = (f) => {
  const { wallMs, cpuMs } = measurementOf(f);
  return wallMs > 0 && cpuMs !== undefined ? Math.min(cores, cpuMs / wallMs) : f.startsWith('test/browser/') ? 1.2 : 0.9;
};
const ordered = [...otherFiles].sort((a, b) => estimate(b) - estimate(a));

if (isolated) {
  let status = unitFiles.length > 0 ? spawnSync(process.execPath, unitArgs(unitFiles), { stdio: 'inherit' }).status ?? 1 : 0;
  if (ordered.length > 0) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...ordered], { stdio: 'inherit' });
    if (status === 0) status = result.status ?? 1;
  }
  process.exit(status);
}

const color = process.stdout.isTTY ? { FORCE_COLOR: '1' } : {};
const failedFiles = [];
const durations = {};
const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const done = /\[test file done\] (\S+)/;
const fileCpu = /^\[test file cpu\] \S+ (\d+)(?: (\d+))?$/;

/** Runs a process, printing its output in blocks: one per test file (or all of it at the end). */
function runProcess(args, { onFile, onMessage } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...color } });
    let block = [];
    let partial = '';
    let fileStarted = Date.now();
    let cpuMs;
    let withProcessesMs;
    let filesDone = 0;
    let exitTimer;
    const flush = () => {
      if (block.length > 0) process.stdout.write(`${block.join('\n')}\n`);
      block = [];
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
        const cpu = fileCpu.exec(plain);
        if (cpu) {
          cpuMs = Number(cpu[1]);
          withProcessesMs = cpu[2] === undefined ? undefined : Number(cpu[2]);
          continue;
        }
        const file = done.exec(plain)?.[1];
        if (file) {
          filesDone++;
          const ms = Date.now() - fileStarted;
          durations[file] = withProcessesMs === undefined ? ms : [ms, withProcessesMs];
          if (block.some((l) => /^\s*(✖|not ok)/.test(l.replace(/\x1b\[[0-9;]*m/g, '')))) failedFiles.push(file);
          // CPU: the test process's own, then with the browser and processes it started (not the database server's).
          const seconds = (value) => (value / 1000).toFixed(1);
          block.push(`── ${file} (${seconds(ms)} s${cpuMs === undefined ? '' : `, ${seconds(cpuMs)} s of CPU`}${withProcessesMs === undefined ? '' : `, ${seconds(withProcessesMs)} s with its processes`})`);
          cpuMs = undefined;
          withProcessesMs = undefined;
          flush();
          fileStarted = Date.now();
          onFile?.(file);
          continue;
        }
        const summary = /^[ℹ#] (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(plain);
        if (summary) {
          // Each file's end marker is a passing test of its own: not counted.
          totals[summary[1]] += Number(summary[2]) - (summary[1] === 'tests' || summary[1] === 'pass' ? filesDone : 0);
          continue;
        }
        if (/^[ℹ#] (suites|duration_ms) /.test(plain)) continue;
        block.push(line);
      }
    });
    child.on('message', (message) => onMessage?.(child, message));
    child.on('disconnect', () => {
      // Its last file is done: the process ends once nothing is left open.
      exitTimer = setTimeout(() => {
        block.push(`✖ a test worker did not exit 60 s after its last file: a test file left something open (a server, a timer, a connection). TEST_ISOLATION=process tells which.`);
        child.kill('SIGKILL');
      }, 60_000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(exitTimer);
      if (partial) block.push(partial);
      flush();
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

// Files are handed out as workers ask, the longest first, while what they keep busy fits the
// processors: each file's load (loadOf, as last measured) is counted against `capacity`, and a file
// that does not fit leaves its turn to a shorter one that does. So files that mostly wait run beside
// those that keep a processor busy, rather than several waiting ones together leaving the processors
// idle, or several busy ones sharing them (which only adds the cost of sharing: on the 2-core CI
// machine the suite used 541-551 s of CPU with four files always running, 510 s with three).
// The last free worker gets the busiest file that fits rather than the longest: four files that
// mostly wait, each the longest at its turn, once left the processors nearly idle for seconds.
// More workers are no cure: five or six used 27-59 s more CPU than four for the whole suite
// (each runs the server's code cold once more; more processes share the two processors).
// Estimates are only estimates: while the processors were mostly idle over the last second (under
// 75% busy), the next file is handed out even if it does not fit.
const queue = [...ordered];
const runs = [];
if (unitFiles.length > 0) runs.push(runProcess(['--test-reporter=spec', ...unitArgs(unitFiles)]));
const worker = join('scripts', 'test-worker.mjs');
const cpuTimes = () => cpus().reduce((sum, { times }) => {
  const all = times.user + times.nice + times.sys + times.idle + times.irq;
  return { busy: sum.busy + all - times.idle, all: sum.all + all };
}, { busy: 0, all: 0 });
let lastTimes = cpuTimes();
let busy = 1;
const running = new Map();
const workers = Math.min(concurrency, queue.length);
const asking = [];
function handOut() {
  while (asking.length > 0) {
    const index = queue.length === 0 ? 0 : nextFileIndex(queue, [...running.values()], loadOf, capacity, busy < 0.75, running.size === workers - 1);
    if (index < 0) return;
    const child = asking.shift();
    const [file] = queue.splice(index, 1);
    if (file) running.set(child, loadOf(file));
    child.send(file ?? '');
  }
}
const sampler = setInterval(() => {
  const now = cpuTimes();
  busy = now.all > lastTimes.all ? (now.busy - lastTimes.busy) / (now.all - lastTimes.all) : 1;
  lastTimes = now;
  handOut();
}, 1000);
// A young generation of up to 32 MB (16 MB by default): the servers, emulators and PGlite in a test
// process allocate quickly, and fewer minor collections cost less CPU.
// PGlite's WebAssembly (PostgreSQL) runs on V8's baseline compiler only (--liftoff-only): by default
// V8 recompiles its busy functions with its optimising compiler in the background, in every test
// process, and a test process does not live long enough for that to pay off (five PGlite-heavy
// files, measured twice each: 15% less CPU with it).
const workerFlags = ['--max-semi-space-size=32', '--liftoff-only'];
for (let i = 0; i < workers; i++) {
  runs.push(runProcess([...workerFlags, ...loaderArgs, '--test-reporter=spec', worker], {
    onMessage: (child) => {
      running.delete(child);
      asking.push(child);
      handOut();
    },
  }));
}
const codes = await Promise.all(runs);
clearInterval(sampler);
mkdirSync('.tmp', { recursive: true });
writeFileSync(durationsFile, JSON.stringify(Object.fromEntries(Object.entries({ ...measured, ...durations }).filter(([file]) => found.includes(file))), null, 1));
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\n${files.length} files in ${seconds} s: ${totals.tests} tests, ${totals.pass} passed, ${totals.fail} failed, ${totals.cancelled} cancelled, ${totals.skipped} skipped, ${totals.todo} todo`);
if (failedFiles.length > 0) console.log(`✖ failing files:\n  ${failedFiles.join('\n  ')}`);
process.exit(codes.some((code) => code !== 0) ? 1 : 0);
