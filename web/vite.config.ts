import { defineConfig } from 'vite';

// The dashboard: a static SPA (no SSR). `vite build web` writes web/dist, which the
// local server (functions/local/web-plugin.ts) and CloudFront serve as is.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // Preact's automatic JSX runtime; no React, no compat layer.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small entry chunk: the whole app is a few tens of kB.
    modulePreload: { polyfill: false },
  },
});
