// Node-side entry of the web package: where the built console lives, so the hub
// can serve it. The browser code starts at src/main.tsx (see index.html).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { humanAge } from './age.js';

/** Directory of the production build (`vite build` → packages/web/dist/app). */
export function webAppDir(): string {
  // This file runs from dist/src/index.js; the app is built to dist/app.
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'app');
}

/** Whether the console has been built (index.html exists). */
export function webAppBuilt(dir = webAppDir()): boolean {
  return existsSync(join(dir, 'index.html'));
}
