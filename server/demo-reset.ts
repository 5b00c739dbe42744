import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline/promises';
import { takeDataFolderLock } from './db/data-folder-lock.ts';

// npm run demo:reset [-- --yes]: starts the demo over by deleting its data folder (the embedded
// database with every signup, the demo's application secret and its vault keys). Only for the
// embedded demo: it refuses in production, with a PostgreSQL database, while the demo runs, and on
// a folder that does not look like a demo data folder. Asks before deleting unless given --yes.

/** What a demo data folder holds; anything else in it means it is not one to delete blindly. */
const DEMO_ENTRIES = new Set(['pglite', 'pglite.lock', 'app-secret', 'vault-keys.json']);

export async function resetDemo(options: { env: NodeJS.ProcessEnv; argv: string[]; confirm: (question: string) => Promise<boolean>; print: (line: string) => void }): Promise<number> {
  const { env, print } = options;
  if ((env.APP_MODE ?? 'demo') !== 'demo') {
    print('demo:reset works only in the demo (APP_MODE is not "demo"): it never deletes production data.');
    return 2;
  }
  if (env.DATABASE_URL) {
    print('demo:reset deletes the embedded database only; DATABASE_URL is set, so the data lives on PostgreSQL. Drop that database yourself if you mean to.');
    return 2;
  }
  const dataDir = resolve(env.DATA_DIR || './data');
  if (!existsSync(dataDir)) {
    print(`Nothing to reset: ${dataDir} does not exist. \`npm start\` begins a fresh demo.`);
    return 0;
  }
  const unexpected = readdirSync(dataDir).filter((name) => !DEMO_ENTRIES.has(name));
  if (unexpected.length > 0) {
    print(`${dataDir} holds more than a demo data folder (${unexpected.join(', ')}): nothing deleted. Delete it yourself if it is yours to delete.`);
    return 2;
  }
  let release: () => void;
  try {
    // The running demo holds this lock: deleting under it would break it.
    release = takeDataFolderLock(resolve(dataDir, 'pglite.lock'));
  } catch (error) {
    print(`${error instanceof Error ? error.message : String(error)}\nStop the demo first (Ctrl+C where \`npm start\` runs), then run demo:reset again.`);
    return 2;
  }
  try {
    const yes = options.argv.includes('--yes') || options.argv.includes('-y');
    const question = `Delete ${dataDir}: every signup, email and operator of the demo, its secret and vault keys?`;
    if (!yes && !(await options.confirm(question))) {
      print('Nothing deleted.');
      return 1;
    }
  } finally {
    release();
  }
  rmSync(dataDir, { recursive: true, force: true });
  print(`Deleted ${dataDir}. \`npm start\` begins a fresh demo: the demo tenant can be signed up and connected again.`);
  return 0;
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.log(`${question}\nNo terminal to ask: run \`npm run demo:reset -- --yes\` to delete without asking.`);
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const code = await resetDemo({ env: process.env, argv: process.argv.slice(2), confirm: confirmOnTerminal, print: (line) => console.log(line) });
  process.exit(code);
}
