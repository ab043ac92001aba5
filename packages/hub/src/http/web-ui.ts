// Serves the web console (packages/web, built by Vite) from the hub's own
// origin, so the browser's cookie session and WebSockets need no CORS. Any
// GET outside /api that is not a file gets index.html: the console routes
// on real paths.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiError, sendError } from './errors.js';

/**
 * The console talks only to this origin; styles stay inline-capable because
 * the terminal and the editor inject theirs at run time.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export async function registerWebUi(app: FastifyInstance, root: string | undefined): Promise<void> {
  if (!root) {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply
        .type('text/plain')
        .send(
          'Wheelhouse hub. The web console is not built: run `npm run build` (it builds packages/web), then restart the hub.\n',
        ),
    );
    return;
  }
  const indexHtml = await readFile(join(root, 'index.html'));
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    // The build writes .br and .gz copies of the assets (packages/web/precompress.ts): sent as they
    // are to a browser that accepts them, rather than compressed again on every cold request.
    preCompressed: true,
    // Our own cache-control below (the plugin's default would say max-age=0 for everything).
    cacheControl: false,
    // Vite names assets by content hash: they never change under a name.
    setHeaders: (res, path) => {
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = (reply: FastifyReply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(indexHtml);
  app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
  // Static routes (files, the API) win over this wildcard in Fastify's router.
  app.get('/*', { schema: { hide: true } }, (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (path.startsWith('/api/') || path.startsWith('/assets/'))
      return sendError(reply, apiError('not_found', { message: `no route GET ${path}` }));
    return sendIndex(reply);
  });
}
