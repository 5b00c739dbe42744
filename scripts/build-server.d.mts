export const entries: Record<string, string>;
/** Compiles the server (or the entry points `input` names) into `outDir` (default dist/server); answers the seconds it took. */
export function buildServer(outDir?: string, input?: Record<string, string>): Promise<number>;
