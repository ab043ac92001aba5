// Headers that make every response (JSON, files, errors, not only the
// console's index.html) safe to land in a browser: no MIME sniffing, no
// framing by another site, no URL leaking in the Referer header; and HSTS on
// answers that went out over TLS (./transport-security.ts).
import type { FastifyInstance } from 'fastify';
import { setTransportSecurity, type SecureCookieSetting } from './transport-security.js';

/** For responses that are not the console page: they are data, never a document to run or frame. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export function registerSecurityHeaders(app: FastifyInstance, opts: { secureCookie?: SecureCookieSetting } = {}): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    // A forwarded pod tab sets no-referrer (its URL holds the forward's token).
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'same-origin');
    setTransportSecurity(req, reply, opts.secureCookie);
    // index.html sets its own policy (which also forbids framing).
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    done(null, payload);
  });
}
