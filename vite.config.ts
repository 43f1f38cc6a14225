/**
 * The web portal (src/ui) builds into dist/ui, which the NestJS app serves. `npx vite` runs a dev
 * server that proxies the API to a running service (ENVCAT_URL, default http://localhost:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const target = process.env.ENVCAT_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('./src/ui', import.meta.url)),
  // Relative asset URLs: the same build works wherever the service mounts it.
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/ui', import.meta.url)),
    emptyOutDir: true,
    // The wizard's chunk carries react-jsonschema-form and Ajv (about 450 kB before gzip).
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      onwarn(warning, warn) {
        // rjsf marks its hooks 'use client' for React Server Components; meaningless in this bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: true },
      '/healthz': { target, changeOrigin: true },
    },
  },
});
