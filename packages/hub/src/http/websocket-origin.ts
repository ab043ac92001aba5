// One check in front of every WebSocket upgrade (live feed, shell, logs, and
// any socket route added later): a browser always sends Origin on a
// WebSocket handshake and SameSite alone is not a CSRF defence for sockets, so
// an Origin that is not the hub's own (or an operator-listed extra) is refused
// with 403 before any route runs. Without an Origin the client is not a
// browser page: it may connect with a bearer token (CLI, agents), but not
// ride a session cookie — a browser never omits Origin, so a cookie without
// one is someone replaying it outside a browser, and refusing costs nobody.
// Denials are audited, one row per user × origin × minute (../audit/denial-digest.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import { DenialDigest } from '../audit/denial-digest.js';
import { apiError } from './errors.js';
import { isSecureRequest, type SecureCookieSetting } from './transport-security.js';

export interface WebSocketOriginOptions {
  audit: AuditLog;
  /** Extra origins allowed besides the hub's own (`https://console.example.org`). */
  allowedOrigins?: readonly string[];
  secureCookie?: SecureCookieSetting;
}

/** `scheme://host[:port]` in URL's normal form, or null when it is not an http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  try {
    const u = new URL(value);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin === 'null') return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** Validates the configured extra origins (start-up fails on a typo rather than silently allowing nothing). */
export function parseAllowedOrigins(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    const o = normalizeOrigin(v);
    if (o === null || o !== v.replace(/\/$/, '').toLowerCase())
      throw new Error(`allowed origin "${v}" must be scheme://host[:port] (http or https, no path)`);
    out.add(o);
  }
  return out;
}

/** The origins a browser page of this hub has, as this request reached it (Host, and the scheme it came over). */
function ownOrigins(request: FastifyRequest, secure: SecureCookieSetting): string[] {
  const host = request.host;
  const out = [normalizeOrigin(`${request.protocol}://${host}`)];
  if (isSecureRequest(request, secure)) out.push(normalizeOrigin(`https://${host}`));
  return out.filter((o): o is string => o !== null);
}

const isUpgrade = (request: FastifyRequest): boolean => request.headers.upgrade?.toLowerCase() === 'websocket';

export function registerWebSocketOriginCheck(app: FastifyInstance, opts: WebSocketOriginOptions): DenialDigest<Sample> {
  const extra = parseAllowedOrigins(opts.allowedOrigins ?? []);
  const digest = new DenialDigest<Sample>({
    flush: (s, repeated) => record(opts.audit, s, repeated),
    onError: (err) => app.log.error({ err }, 'auditing refused WebSocket origins failed'),
  });

  // After the auth plugin's onRequest hook: the rule for a missing Origin depends on how the request authenticated.
  app.addHook('onRequest', async (request) => {
    if (!isUpgrade(request)) return;
    const raw = request.headers.origin;
    const principal = request.principal;
    let refusal: string | null = null;
    if (raw === undefined) {
      if (principal?.via === 'session')
        refusal =
          'a WebSocket authenticated by the session cookie must come from a browser page of this hub (no Origin header was sent)';
    } else {
      const origin = normalizeOrigin(raw);
      const own = ownOrigins(request, opts.secureCookie);
      if (origin === null || (!own.includes(origin) && !extra.has(origin)))
        refusal = `WebSocket connections from origin "${raw}" are not allowed: only ${[...own, ...extra].join(', ')}`;
    }
    if (refusal === null) return;
    const sample: Sample = {
      actor: principal?.username ?? 'anonymous',
      origin: raw ?? null,
      route: request.url.split('?')[0] ?? '',
      ip: request.ip,
    };
    if (digest.admit(`${sample.actor}\u0000${sample.origin ?? ''}`, sample)) await record(opts.audit, sample, 0);
    throw apiError('origin_not_allowed', { message: refusal }, { origin: raw ?? null });
  });
  return digest;
}

interface Sample {
  actor: string;
  origin: string | null;
  route: string;
  ip: string;
}

async function record(audit: AuditLog, s: Sample, repeated: number): Promise<void> {
  await audit.record({
    actor: s.actor,
    action: 'websocket.open',
    outcome: 'denied',
    detail: { reason: 'origin', origin: s.origin, route: s.route, ip: s.ip, ...(repeated > 0 ? { repeated } : {}) },
  });
}
