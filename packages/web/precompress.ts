// A Vite plugin that writes brotli and gzip copies of the built console's
// text assets beside them (app.js → app.js.br, app.js.gz), so the hub serves
// them as they are (@fastify/static preCompressed) instead of compressing the
// same files again on every cold request (issue 18: the console's start-up).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

const TEXT = /\.(js|css|html|svg|json)$/;

export function precompress(outDir: string): Plugin {
  return {
    name: 'wheelhouse-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          // Small files gain nothing; source maps are fetched by developers only.
          else if (TEXT.test(name) && statSync(path).size >= 1024) {
            const body = readFileSync(path);
            writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
            writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
          }
        }
      };
      walk(outDir);
    },
  };
}
