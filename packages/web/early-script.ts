// A Vite plugin that builds one module as an entry of its own and starts it
// from index.html's head as `<script type="module" async>`: it runs as soon as
// it has arrived (a few hundred bytes), not after the console's main script
// has been fetched, parsed and run (issue 18: start/preload.ts sends the first
// requests from there). The main script imports the same module (the same URL,
// so one instance: the page takes what it preloaded).
import type { Plugin } from 'vite';

export function earlyScript(name: string): Plugin {
  return {
    name: 'wheelhouse-early-script',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.isEntry && c.name === name);
        if (!chunk) throw new Error(`early script: no entry chunk "${name}" (build.rollupOptions.input)`);
        return [
          {
            tag: 'script',
            attrs: { type: 'module', async: true, crossorigin: true, src: `/${chunk.fileName}` },
            injectTo: 'head-prepend',
          },
        ];
      },
    },
  };
}
