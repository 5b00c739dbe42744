import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildTestEntries, testBuildVariable, type testEntries } from '../../scripts/test-build.mjs';

// The compiled entry points (scripts/test-build.mjs) for tests that start them as processes: from
// the folder scripts/test.mjs compiled them into for the run, or, for a test file run on its own,
// compiled once by this process into a folder of its own.

let folder: Promise<string> | undefined;

function compiledFolder(): Promise<string> {
  folder ??= (async () => {
    const given = process.env[testBuildVariable];
    if (given) return given;
    const own = resolve('.tmp', `test-build-${process.pid}`);
    await buildTestEntries(own);
    process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    return own;
  })();
  return folder;
}

/**
 * The arguments of `node` that run an entry point's compiled JavaScript: V8's settings, then the
 * file. PGlite's WebAssembly runs on V8's baseline compiler only (--liftoff-only), as in the test
 * processes themselves (scripts/test.mjs): a process a test starts lives seconds, too short for the
 * optimising compiler's work on PGlite's code to pay off (a server started on PGlite: about 3.8 s
 * of CPU against 5.5 s). It changes how fast code runs, never what it does.
 */
export async function compiledCommand(name: keyof typeof testEntries): Promise<string[]> {
  return ['--liftoff-only', join(await compiledFolder(), `${name}.js`)];
}
