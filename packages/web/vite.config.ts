// Builds the console into dist/app, which the hub serves. `npm run dev -w
// packages/web` proxies the API (and its WebSockets) to a hub on :8080.
import react from '@vitejs/plugin-react';
import { join } from 'node:path';
import { defineConfig } from 'vite';
import { earlyScript } from './early-script.js';
import { precompress } from './precompress.js';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), earlyScript('preload'), precompress(join(import.meta.dirname, 'dist/app'))],
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    // The start-up preload is an entry of its own, started first by index.html (early-script.ts).
    rollupOptions: {
      input: {
        index: join(import.meta.dirname, 'index.html'),
        preload: join(import.meta.dirname, 'src/start/preload.ts'),
      },
    },
  },
  server: {
    proxy: { '/api': { target: process.env.WHEELHOUSE_HUB ?? 'http://127.0.0.1:8080', ws: true } },
  },
});
