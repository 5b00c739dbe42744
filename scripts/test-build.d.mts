export const testEntries: Record<'main' | 'operators' | 'vault-rotate' | 'sync-worker' | 'guarded-process' | 'open-database', string>;
export const testBuildVariable: string;
/** Compiles every entry point of testEntries into `outDir`; answers the seconds it took. */
export function buildTestEntries(outDir: string): Promise<number>;
