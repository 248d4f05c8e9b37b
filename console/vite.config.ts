/**
 * Builds the web console into dist/console, served by the gateway at /console/.
 * In development (`npx vite --config console/vite.config.ts`), /admin is proxied
 * to a running gateway (TOLLGATE_URL), so the session cookie stays same-origin.
 */
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const gateway = process.env.TOLLGATE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    proxy: { '/admin': { target: gateway, changeOrigin: false } },
  },
});
