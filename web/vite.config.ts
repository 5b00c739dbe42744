import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The partner pages are served by the API server from web/dist under a strict CSP
// (script-src 'self', style-src 'self'): no inline scripts or styles may end up in the build.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Keeps the CSS as a file and the module preload polyfill out of index.html (no inline script).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: {
    proxy: { '/api': 'http://localhost:3000', '/dev/api': 'http://localhost:3000', '/dev/mail/': 'http://localhost:3000' },
  },
});

/**
 * Writes `file.br` (brotli, quality 11) and `file.gz` (gzip, level 9) beside every text file of the
 * build, once, so the server answers by content negotiation without compressing per request. A
 * variant is kept only when it is smaller than the file.
 */
function precompress(): Plugin {
  const compressible = /\.(?:js|mjs|css|html|svg|json|txt|map)$/;
  const brotli = promisify(brotliCompress);
  const gzipAsync = promisify(gzip);
  let outDir = '';
  return {
    name: 'totalone-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files: string[] = [];
      const walk = async (dir: string) => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await walk(path);
          else if (compressible.test(entry.name)) files.push(path);
        }
      };
      await walk(outDir);
      await Promise.all(
        files.map(async (path) => {
          const bytes = await readFile(path);
          const size = (await stat(path)).size;
          const [br, gz] = await Promise.all([
            brotli(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: size } }),
            gzipAsync(bytes, { level: 9 }),
          ]);
          if (br.length < size) await writeFile(`${path}.br`, br);
          if (gz.length < size) await writeFile(`${path}.gz`, gz);
        }),
      );
    },
  };
}
