import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The partner pages are served by the API server from web/dist under a strict CSP
// (script-src 'self', style-src 'self'): no inline scripts or styles may end up in the build.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
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
