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

/** The path of an entry point's compiled JavaScript, to run with `node <path>`. */
export async function compiledEntry(name: keyof typeof testEntries): Promise<string> {
  return join(await compiledFolder(), `${name}.js`);
}
