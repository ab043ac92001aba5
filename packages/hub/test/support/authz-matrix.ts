// The authorization matrix: every route × every identity, no unauthorized
// success. A case names a route, the identities allowed to succeed and (for
// routes with ids or bodies) how to build the request for one identity —
// destructive routes build a fresh target per identity.
//
// Add routes by appending cases; add identities (e.g. an operator bound to
// one cluster only) by extending DEFAULT_IDENTITIES. Each identity calls with
// its bearer token; an anonymous call and a bogus token must get 401, a
// non-allowed identity exactly 403 {error:'forbidden'}, an allowed one its
// success status.
import type { InjectOptions } from 'fastify';
import type { Hub } from '../../src/server.js';
import { addUser, bearer, type BindingSpec, type TestUser } from './identity.js';

export interface IdentitySpec {
  name: string;
  bindings: BindingSpec[];
}

export interface Identity extends TestUser {
  name: string;
  bindings: BindingSpec[];
}

export const ROLE_IDENTITIES = ['account-admin', 'operator', 'viewer', 'auditor'] as const;
/** The four built-in roles on every cluster and namespace, and a user with no binding at all. */
export const DEFAULT_IDENTITIES: IdentitySpec[] = [
  ...ROLE_IDENTITIES.map((role) => ({ name: role, bindings: [{ role }] })),
  { name: 'no-role', bindings: [] },
];
/** Every signed-in identity of DEFAULT_IDENTITIES. */
export const SIGNED_IN: readonly string[] = DEFAULT_IDENTITIES.map((i) => i.name);
export const ADMIN_ONLY: readonly string[] = ['account-admin'];

export interface AuthzContext {
  hub: Hub;
  /** The identity calling; null for the anonymous and bogus-token calls. */
  identity: Identity | null;
  identities: ReadonlyMap<string, Identity>;
}

export interface AuthzRequest {
  url: string;
  payload?: InjectOptions['payload'];
  headers?: Record<string, string>;
}

export interface AuthzCase {
  /** 'METHOD /path/{param}', as in the OpenAPI document. */
  route: string;
  /** Identity names allowed to succeed. */
  allow: readonly string[];
  /** Builds the request (default: the route's path, no body). Called once per call, so it can create fresh targets. */
  request?: (ctx: AuthzContext) => AuthzRequest | Promise<AuthzRequest>;
  /** Statuses that count as success for an allowed identity (default: any 2xx). */
  success?: readonly number[];
}

export async function setupIdentities(
  hub: Hub,
  specs: readonly IdentitySpec[] = DEFAULT_IDENTITIES,
): Promise<Map<string, Identity>> {
  const out = new Map<string, Identity>();
  for (const spec of specs) {
    const user = await addUser(hub, {
      username: `matrix-${spec.name.replace(/[^a-z0-9.-]/g, '-')}`,
      bindings: spec.bindings,
    });
    out.set(spec.name, { ...user, name: spec.name, bindings: spec.bindings });
  }
  return out;
}

function splitRoute(route: string): { method: NonNullable<InjectOptions['method']>; path: string } {
  const [method, path] = route.split(' ');
  if (!method || !path) throw new Error(`route must be "METHOD /path": ${route}`);
  return { method, path };
}

const errorShapeOk = (body: unknown, code: string): boolean =>
  typeof body === 'object' &&
  body !== null &&
  (body as { error?: unknown }).error === code &&
  typeof (body as { message?: unknown }).message === 'string';

function parse(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** Runs one case for anonymous, a bogus token and every identity; returns the violations (empty = pass). */
export async function checkAuthzCase(
  hub: Hub,
  identities: ReadonlyMap<string, Identity>,
  c: AuthzCase,
): Promise<string[]> {
  const { method, path } = splitRoute(c.route);
  const violations: string[] = [];
  for (const name of c.allow)
    if (!identities.has(name)) violations.push(`${c.route}: allow names unknown identity '${name}'`);

  const call = async (
    identity: Identity | null,
    auth: Record<string, string>,
  ): Promise<{ status: number; body: unknown }> => {
    const req = c.request ? await c.request({ hub, identity, identities }) : { url: path };
    const res = await hub.app.inject({
      method,
      url: req.url,
      headers: { ...req.headers, ...auth },
      ...(req.payload !== undefined ? { payload: req.payload } : {}),
    });
    return { status: res.statusCode, body: parse(res.body) };
  };

  for (const [label, auth] of [
    ['anonymous', {}],
    ['bogus token', bearer('whu_not-a-real-token')],
  ] as const) {
    const res = await call(null, auth);
    if (res.status !== 401 || !errorShapeOk(res.body, 'unauthenticated')) {
      violations.push(
        `${c.route} as ${label}: expected 401 unauthenticated, got ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
  }

  for (const identity of identities.values()) {
    const res = await call(identity, bearer(identity.token));
    const allowed = c.allow.includes(identity.name);
    if (allowed) {
      const ok = c.success ? c.success.includes(res.status) : res.status >= 200 && res.status < 300;
      if (!ok)
        violations.push(
          `${c.route} as ${identity.name}: allowed, expected success, got ${res.status} ${JSON.stringify(res.body)}`,
        );
    } else if (res.status !== 403 || !errorShapeOk(res.body, 'forbidden')) {
      violations.push(
        `${c.route} as ${identity.name}: not allowed, expected 403 forbidden, got ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
  }
  return violations;
}

/**
 * Routes in the OpenAPI document (optionally only those with one of `tags`)
 * that no case covers — so a new route cannot skip the matrix.
 */
export async function uncoveredRoutes(
  hub: Hub,
  cases: readonly AuthzCase[],
  opts: { tags?: readonly string[]; ignore?: readonly string[] } = {},
): Promise<string[]> {
  const doc = (await hub.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
    paths: Record<string, Record<string, { tags?: string[] }>>;
  }>();
  const covered = new Set(cases.map((c) => c.route));
  const missing: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const route = `${method.toUpperCase()} ${path}`;
      if (method === 'head' || opts.ignore?.includes(route)) continue;
      if (opts.tags && !(op.tags ?? []).some((t) => opts.tags?.includes(t))) continue;
      if (!covered.has(route)) missing.push(route);
    }
  }
  return missing;
}
