export const entries: Record<string, string>;
/** Compiles the server into `outDir` (default dist/server); answers the seconds it took. */
export function buildServer(outDir?: string): Promise<number>;
