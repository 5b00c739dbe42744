// What a test run compiles to plain JavaScript once, before its tests start (scripts/test.mjs):
// - the entry points tests start as processes of their own (the server, its command-line tools,
//   three test programs), bundled as production runs them. A Node start through the TypeScript
//   loader costs about twice the CPU of the compiled start (the server: about 3.1 s against 1.5 s),
//   and a run starts some forty. test/support/compiled.ts hands them to the tests.
// - the test files themselves, with everything of ours they import, module by module (each source
//   file becomes one JavaScript file at the same path under the folder), so the test processes run
//   without the TypeScript loader. The loader resolves and loads every module in a thread of its
//   own, through messages to and fro: loading a test process's modules costs about 1.7 times the CPU
//   through it (the test systems' support modules: 5.1-5.4 s against 3.0-3.1 s), and a run's processes
//   load theirs five times over. Source maps beside them point stack traces at the TypeScript.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServer, entries, fromNodeModules } from './build-server.mjs';

const root = join(import.meta.dirname, '..');

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

/** The environment variable that names the folder of a run's compiled test files. */
export const testFilesVariable = 'TEST_FILES_BUILD';

/**
 * Compiles `files` (test files, as paths from the repository's root) and the modules of ours they
 * import into `outDir`, each at its own path; answers the seconds it took. Packages stay in
 * node_modules. A module's `import.meta.url` (and `dirname`, `filename`) stay those of its source
 * file, so what it reads beside itself (package.json, docs, README) is found as before.
 */
export async function buildTestFiles(files, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const started = performance.now();
  const { build } = await import('rolldown'); // only where tests are built, not in the processes that read this module
  await build({
    cwd: root,
    input: files.map((file) => join(root, file)),
    platform: 'node',
    external: fromNodeModules,
    transform: { target: 'node20' },
    logLevel: 'warn',
    plugins: [
      {
        name: 'import-meta-of-the-source',
        transform(code, id) {
          if (!/import\.meta\.(url|dirname|filename)\b/.test(code)) return null;
          const source = { url: pathToFileURL(id).href, dirname: join(id, '..'), filename: id };
          return { code: code.replace(/import\.meta\.(url|dirname|filename)\b/g, (_, key) => JSON.stringify(source[key])), map: null };
        },
      },
    ],
    output: {
      dir: outDir,
      format: 'esm',
      preserveModules: true,
      preserveModulesRoot: root,
      entryFileNames: '[name].js',
      sourcemap: true,
    },
  });
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return (performance.now() - started) / 1000;
}

/** Where buildTestFiles put the compiled `file` (a path from the repository's root). */
export function compiledTestFile(outDir, file) {
  return join(outDir, file.replace(/\.tsx?$/, '.js'));
}
