import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is built to static files the daemon serves at /console/; nothing of it is loaded
// by the CLI. Relative asset URLs keep it working behind a path prefix (a proxy, port-forward).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill would be an inline script, which the console's CSP forbids.
    modulePreload: { polyfill: false },
    // Small files would otherwise become data: URLs inside the CSS or JS.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  logLevel: 'warn',
});
