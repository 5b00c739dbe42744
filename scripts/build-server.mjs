// Compiles the server (and its command-line tools) into plain JavaScript under dist/server, once,
// so that production runs without a TypeScript compiler in the process. Our own code is bundled;
// packages stay in node_modules. Dynamic imports (the demo's emulator and mail catcher) become
// chunks of their own, loaded only when the demo starts them.
import { rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const defaultOutDir = join(root, 'dist/server');

/** Bare specifiers (packages, node: built-ins): not compiled in, loaded from node_modules at run time. */
export const fromNodeModules = (id) => !id.startsWith('.') && !isAbsolute(id) && !id.startsWith('\0');

export const entries = {
  main: 'server/main.ts',
  operators: 'server/modules/operators/operators.cli.ts',
  'vault-rotate': 'server/modules/vault/vault.rotate.cli.ts',
};

/** Compiles `input` (the server's entry points unless told otherwise) into `outDir`. */
export async function buildServer(outDir = defaultOutDir, input = entries) {
  rmSync(outDir, { recursive: true, force: true });
  const started = performance.now();
  // Loaded here rather than with this module: the test processes read `entries` without building.
  const { build } = await import('rolldown');
  await build({
    cwd: root,
    input: Object.fromEntries(Object.entries(input).map(([name, path]) => [name, join(root, path)])),
    platform: 'node',
    external: fromNodeModules,
    transform: { target: 'node20' },
    logLevel: 'warn',
    output: {
      dir: outDir,
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      sourcemap: true,
    },
  });
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return (performance.now() - started) / 1000;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = await buildServer();
  console.log(`server compiled to dist/server in ${seconds.toFixed(1)} s`);
}
