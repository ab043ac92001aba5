// Where the hub learns that its browsers reach it over TLS. The hub never
// terminates TLS itself: an ingress or load balancer does and forwards plain
// HTTP with X-Forwarded-For/-Proto/-Host. Those headers are believed only from
// the proxies the operator names (Fastify's trustProxy); from anyone else they
// are ignored, so a client cannot choose its own address (login throttling,
// audit) or pretend to be on https.
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The session cookie's Secure flag and HSTS: true/false as configured, or
 * undefined = "when the request came over https" (directly, or per
 * X-Forwarded-Proto from a trusted proxy).
 */
export type SecureCookieSetting = boolean | undefined;

/** One year, the usual HSTS lifetime; no includeSubDomains (the hub does not own its parent domain's other hosts). */
export const HSTS_VALUE = 'max-age=31536000';

export function isSecureRequest(request: FastifyRequest, setting: SecureCookieSetting): boolean {
  return setting ?? request.protocol === 'https';
}

/** Fastify's trustProxy value for a list of addresses, CIDRs or proxy-addr names (loopback, uniquelocal…). */
export function trustProxyOption(trusted: readonly string[] | undefined): string[] | false {
  const list = (trusted ?? []).map((s) => s.trim()).filter((s) => s !== '');
  return list.length > 0 ? list : false;
}

/** Sends HSTS on answers to requests that arrived (or are configured as arriving) over TLS. */
export function setTransportSecurity(request: FastifyRequest, reply: FastifyReply, setting: SecureCookieSetting): void {
  if (isSecureRequest(request, setting)) void reply.header('strict-transport-security', HSTS_VALUE);
}
