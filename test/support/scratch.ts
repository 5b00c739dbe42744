import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The files tests make (vault key files, the data folders of the processes they start, logs of
// loaded modules) go to one folder per test process, removed when the process ends: a run leaves
// nothing behind in the system's temporary folder (a process killed outright leaves its folder).

let folder: string | undefined;

/** This test process's scratch folder, made on first use. */
export function scratchFolder(): string {
  if (!folder) {
    const made = mkdtempSync(join(tmpdir(), `totalone-test-${process.pid}-`));
    folder = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return folder;
}

/** A new, empty folder inside the scratch folder, its name starting with `prefix`. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(scratchFolder(), prefix));
}
