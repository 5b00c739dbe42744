// The entry points tests start as processes of their own (the server, its command-line tools, three
// test programs), compiled to plain JavaScript once per test run by scripts/test.mjs, as
// production runs them. A Node start through the TypeScript loader costs about twice the CPU of
// the compiled start (the server: about 3.1 s against 1.5 s), and a run starts some forty.
// test/support/compiled.ts hands them to the tests.
import { buildServer, entries } from './build-server.mjs';

export const testEntries = {
  ...entries,
  'sync-worker': 'test/support/sync-worker.ts',
  'guarded-process': 'test/support/guarded-process.ts',
  'open-database': 'test/support/open-database.ts',
};

/** The environment variable that names the folder of a run's compiled entry points. */
export const testBuildVariable = 'TEST_SERVER_BUILD';

export function buildTestEntries(outDir) {
  return buildServer(outDir, testEntries);
}
