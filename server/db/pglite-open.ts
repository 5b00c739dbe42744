import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

// Opening the embedded database of the demo with a memory budget in mind:
// - PGlite is loaded only here, so a server on PostgreSQL never has it in its process;
// - PostgreSQL's shared buffers are 32 MB instead of 128 MB: the demo's data fits, and the
//   operating system's page cache still holds the data folder;
// - the very first start creates the database (initdb) in a child process. initdb needs about
//   700 MB for a moment, and WebAssembly memory, once grown, is never given back to the system:
//   done in this process it would stay allocated for as long as the server runs.

/** Settings applied on top of PGlite's own start parameters. */
export const pgliteSettings = ['-c', 'shared_buffers=32MB'];

export async function openPgliteDataDir(path: string, options: Pick<PGliteOptions, 'parsers'> = {}): Promise<PGlite> {
  if (!existsSync(join(path, 'PG_VERSION'))) await createDataDir(path);
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create(path, { ...options, startParams: [...PGlite.defaultStartParams, ...pgliteSettings] });
}

/** Runs initdb into a folder beside `path` in a child process, then moves it into place. */
async function createDataDir(path: string): Promise<void> {
  if (existsSync(path) && readdirSync(path).length > 0) return; // not ours to replace: PGlite decides
  const staging = join(dirname(path), `.${basename(path)}.init-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const module = JSON.stringify(import.meta.resolve('@electric-sql/pglite'));
  const settings = JSON.stringify(pgliteSettings);
  // The child compiles PGlite's WebAssembly with V8's baseline compiler only: the optimising
  // compiler's work would not pay off in a process that lives seconds (measured: 4.9-5.1 s of CPU
  // instead of 6.8-7.3, and 680-690 MB at the peak instead of 750-810). Set from the script, where
  // a V8 that no longer knows the flag only warns.
  const script = `(await import('node:v8')).setFlagsFromString('--liftoff-only'); const { PGlite } = await import(${module}); const db = await PGlite.create(process.argv[1], { startParams: [...PGlite.defaultStartParams, ...${settings}] }); await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, staging], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !existsSync(join(staging, 'PG_VERSION'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Creating the embedded database in ${path} failed (exit code ${code}): ${stderr.trim().slice(-2000)}`);
  }
  rmSync(path, { recursive: true, force: true }); // an empty folder, checked above
  renameSync(staging, path);
}
