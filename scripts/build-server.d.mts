export const entries: Record<string, string>;
/** Compiles the server (or the entry points `input` names) into `outDir` (default dist/server); answers the seconds it took. */
export function buildServer(outDir?: string, input?: Record<string, string>): Promise<number>;
/** Bare specifiers (packages, node: built-ins): not compiled in, loaded from node_modules at run time. */
export function fromNodeModules(id: string): boolean;
