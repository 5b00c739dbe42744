// A worker process of scripts/test.mjs: asks its parent for a test file, imports it (its tests run
// in this process, one top-level suite after another), and asks for the next once every test of the
// file has ended, until the parent has none left.
import asyncHooks from 'node:async_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledTestFile, testFilesVariable } from './test-build.mjs';
import { processTreeCpuMs } from './test-plan.mjs';

// node:test (Node 20) enables an async hook with init and destroy callbacks for the whole process,
// only to tell which test an uncaught error came from. With a destroy callback, every promise the
// process creates is tracked until it is collected: a loop of awaits runs 15 times slower, and the
// servers, databases and browser drivers these tests run create promises by the million (about 8%
// of a browser journey's CPU). The runner's hook is not enabled here; the runner still learns of
// every test and suite as it is created (a suite's tests find their suite), so only the attribution
// is lost: an error that escapes its test is reported below with the file it came from, and the
// runner's own handler fails the run (exit code 1). Done on Node 20 only, where it was verified.
const { createHook, AsyncResource } = asyncHooks;
if (process.versions.node.split('.')[0] === '20') {
  let runnerInit;
  asyncHooks.createHook = (callbacks) => {
    if (runnerInit || !callbacks?.init || !callbacks.destroy || !/test_runner\/harness/.test(new Error().stack ?? '')) return createHook(callbacks);
    runnerInit = callbacks.init;
    return { enable() { return this; }, disable() { return this; } };
  };
  asyncHooks.AsyncResource = class extends AsyncResource {
    constructor(type, options) {
      super(type, options);
      if (type === 'Test') runnerInit?.(this.asyncId(), type, this.triggerAsyncId(), this);
    }
  };
}
// node:test takes createHook and AsyncResource as it loads; everything loaded later gets the originals.
const { test } = await import('node:test');
asyncHooks.createHook = createHook;
asyncHooks.AsyncResource = AsyncResource;

// The run's test files compiled to JavaScript (scripts/test.mjs), else the TypeScript files themselves.
const compiledFiles = process.env[testFilesVariable];

let current = '';
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => console.log(`✖ ${current}: an error escaped its test (${event}): ${error?.stack ?? error}`));
}

const nextFile = () =>
  new Promise((answer) => {
    process.once('message', answer);
    process.send('next');
  });

// What test files share across the files of this process (e.g. one Chromium) is closed once the
// last file has ended: each pushes its closing here.
const atEnd = [];
globalThis[Symbol.for('test-worker.at-end')] = atEnd;

for (let file = await nextFile(); file; file = await nextFile()) {
  current = file;
  const cpuBefore = process.cpuUsage();
  const withProcessesBefore = processTreeCpuMs();
  try {
    await import(pathToFileURL(compiledFiles ? compiledTestFile(compiledFiles, file) : resolve(file)).href);
  } catch (error) {
    test(`${file} loads`, () => {
      throw error;
    });
  }
  // Top-level tests run one at a time in the order they were declared: this one runs once every
  // test of the file has ended. The parent reads its name as the file's end.
  // It also tells the parent how much CPU this process spent on the file, alone and with the
  // processes it started.
  await new Promise((ended) =>
    test(`[test file done] ${file}`, () => {
      const { user, system } = process.cpuUsage(cpuBefore);
      const withProcesses = withProcessesBefore === undefined ? undefined : (processTreeCpuMs() ?? withProcessesBefore) - withProcessesBefore;
      console.log(`[test file cpu] ${file} ${Math.round((user + system) / 1000)}${withProcesses === undefined ? '' : ` ${withProcesses}`}`);
      ended();
    }),
  );
}
for (const close of atEnd) {
  try {
    await close();
  } catch (error) {
    console.log(`✖ closing what the test files shared failed: ${error?.stack ?? error}`);
  }
}
process.disconnect();
