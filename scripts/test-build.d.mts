export const testEntries: Record<'main' | 'operators' | 'vault-rotate' | 'sync-worker' | 'guarded-process' | 'open-database', string>;
export const testBuildVariable: string;
/** Compiles every entry point of testEntries into `outDir`; answers the seconds it took. */
export function buildTestEntries(outDir: string): Promise<number>;
export const testFilesVariable: string;
/** Compiles test files and the modules of ours they import into `outDir`, module by module; answers the seconds it took. */
export function buildTestFiles(files: string[], outDir: string): Promise<number>;
/** Where buildTestFiles put the compiled `file` (a path from the repository's root). */
export function compiledTestFile(outDir: string, file: string): string;
