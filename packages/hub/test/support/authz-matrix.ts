// The authorization matrix: every route × every identity, no unauthorized
// success, and no refused call changes anything. A case names a route, the
// identities allowed to succeed and (for routes with ids or bodies) how to
// build the request for one identity — destructive routes build a fresh
// target per identity.
//
// Each identity calls with its bearer token; an anonymous call and a bogus
// token must get 401, a non-allowed identity exactly 403 {error:'forbidden'},
// an allowed one its success status. Around every refused call the whole
// store is snapshotted (every table): a 401 may change nothing, a 403 only
// appends its one 'denied' audit record (plus, for the pod shell, the refusal
// on the pod's timeline). GET routes are also called with HEAD, which Fastify
// answers with the same handler and hooks.
//
// Coverage is checked against the routes Fastify has registered at run time
// (registeredRoutes), not against a tag or a file: a new route anywhere is
// uncovered until a matrix case or PUBLIC_ROUTES names it.
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Hub } from '../../src/server.js';
import { auditRow, changesDuring, describeChange, isShellDenialEvent, type RowChange } from './db-snapshot.js';
import { addUser, bearer, type BindingSpec, type TestUser } from './identity.js';

export interface IdentitySpec {
  name: string;
  bindings: BindingSpec[];
  /** Signed in with a one-time password (an admin reset it): refused everywhere until it is changed. */
  mustChangePassword?: boolean;
}

export interface Identity extends TestUser {
  name: string;
  bindings: BindingSpec[];
  mustChangePassword: boolean;
}

export const ROLE_IDENTITIES = ['account-admin', 'operator', 'viewer', 'auditor', 'inventory-viewer'] as const;
/** Allowed to sign out, see itself and change its password, and nothing else. */
export const ONE_TIME_PASSWORD = 'admin-one-time-password';
/**
 * The four built-in roles on every cluster and namespace, a user with no
 * binding at all, and an account-admin whose password is one-time.
 */
export const DEFAULT_IDENTITIES: IdentitySpec[] = [
  ...ROLE_IDENTITIES.map((role) => ({ name: role, bindings: [{ role }] })),
  { name: 'no-role', bindings: [] },
  { name: ONE_TIME_PASSWORD, bindings: [{ role: 'account-admin' }], mustChangePassword: true },
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
  /** How a signed-in identity outside `allow` is refused (default 403 forbidden). */
  refused?: { status: number; error: string };
  /**
   * Identities that cannot view anything in the cluster the route names: refused with 404 not_found, as if it did
   * not exist (cluster-visibility.test.ts compares the answers), and the denial audited.
   */
  hidden?: readonly string[];
  /** The pod shell records a refusal on the pod's timeline too. */
  refusalOnTimeline?: boolean;
  /**
   * A refusal whatever its status may leave one 'denied' audit record of this
   * action (the replicas' peer route audits unauthenticated callers, one
   * record per address and reason a minute, so later refusals leave none).
   */
  refusalAudit?: string;
}

/**
 * Routes anyone may call without signing in, each with why. Anything else a
 * hub registers must be in a matrix case.
 */
export const PUBLIC_ROUTES: Readonly<Record<string, string>> = {
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe (store reachable)',
  'GET /metrics': 'Prometheus scrape: counters and gauges without names of users, clusters or objects',
  'GET /api/v1/version': 'the hub version, for clients checking compatibility before signing in',
  'GET /api/openapi.json': 'the API description',
  'POST /api/v1/auth/login': 'signing in',
  'GET /api/v1/auth/methods': 'which sign-in methods the login page offers (passwords, SSO)',
  'GET /api/v1/auth/oidc/login': 'starting single sign-on: a redirect to the identity provider',
  'GET /api/v1/auth/oidc/callback':
    "the identity provider's redirect back; state, this browser's cookie, code and ID token are checked (oidc-sso.int.test.ts)",
  'POST /api/v1/auth/oidc/token':
    '`wheelhouse login --sso`: a one-time code plus its PKCE verifier buy an API token (oidc-sso.int.test.ts)',
  'GET /': 'the console page (the console signs in through the API)',
  'GET /*': 'the console page for app paths; unknown /api/ paths answer 404',
  // A pod port opened in a browser tab: the path's 256-bit token is the capability (one user, pod and port, checked
  // and audited when POST …/portforward/http made it); the tab's requests come from an opaque origin with no session.
  ...Object.fromEntries(
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => [
      `${m} /pf/{token}/*`,
      "a forwarded pod port's content (port-forward-http.int.test.ts); unknown or idle tokens answer 404",
    ]),
  ),
  'GET /pf/{token}': 'redirects to /pf/{token}/ (nothing looked up)',
};

export async function setupIdentities(
  hub: Hub,
  specs: readonly IdentitySpec[] = DEFAULT_IDENTITIES,
): Promise<Map<string, Identity>> {
  const out = new Map<string, Identity>();
  for (const spec of specs) {
    const user = await addUser(hub, {
      username: `matrix-${spec.name.replace(/[^a-z0-9.-]/g, '-')}`,
      bindings: spec.bindings,
      mustChangePassword: spec.mustChangePassword ?? false,
    });
    out.set(spec.name, {
      ...user,
      name: spec.name,
      bindings: spec.bindings,
      mustChangePassword: spec.mustChangePassword ?? false,
    });
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

/**
 * What a refused call may leave behind: for 403, exactly one 'denied' audit
 * record by the caller (and the shell's timeline note when the case says so);
 * for 401, nothing. Returns the other changes.
 */
export function refusalSideEffects(
  changes: readonly RowChange[],
  o: { status: number; actor: string | null; refusalOnTimeline?: boolean; refusalAudit?: string },
): string[] {
  const rest: string[] = [];
  let denials = 0;
  for (const c of changes) {
    const audit = auditRow(c);
    if (o.refusalAudit && audit && audit.action === o.refusalAudit && audit.outcome === 'denied' && denials === 0) {
      denials++;
      continue;
    }
    if (o.status === 403 && audit && audit.outcome === 'denied' && audit.actor === o.actor && denials === 0) {
      denials++;
      continue;
    }
    if (o.status === 403 && o.refusalOnTimeline && isShellDenialEvent(c)) continue;
    rest.push(describeChange(c));
  }
  return rest;
}

/** Runs one case for anonymous, a bogus token and every identity; returns the violations (empty = pass). */
export async function checkAuthzCase(
  hub: Hub,
  identities: ReadonlyMap<string, Identity>,
  c: AuthzCase,
): Promise<string[]> {
  const { method, path } = splitRoute(c.route);
  const violations: string[] = [];
  for (const name of [...c.allow, ...(c.hidden ?? [])])
    if (!identities.has(name)) violations.push(`${c.route}: allow or hidden names unknown identity '${name}'`);
  for (const name of c.hidden ?? [])
    if (c.allow.includes(name)) violations.push(`${c.route}: '${name}' is both allowed and hidden`);

  const call = async (
    identity: Identity | null,
    auth: Record<string, string>,
    m: NonNullable<InjectOptions['method']>,
    label: string,
    expected: { status: number; error: string } | null,
  ): Promise<{ status: number; body: unknown }> => {
    // Built before the snapshot: builders may create the call's fresh target.
    const req = c.request ? await c.request({ hub, identity, identities }) : { url: path };
    // Besides the store, what else a user would notice: live messages to browsers, agents disconnected.
    const published: string[] = [];
    const unsubscribe = hub.live.subscribe((msg) => published.push(msg.type));
    const disconnect = hub.link.disconnect.bind(hub.link);
    const disconnected: string[] = [];
    hub.link.disconnect = (cluster, ...rest) => {
      disconnected.push(cluster);
      disconnect(cluster, ...rest);
    };
    const { result: res, changes } = await changesDuring(hub.db, () =>
      hub.app.inject({
        method: m,
        url: req.url,
        headers: { ...req.headers, ...auth },
        ...(req.payload !== undefined ? { payload: req.payload } : {}),
      }),
    ).finally(() => {
      unsubscribe();
      hub.link.disconnect = disconnect;
    });
    const out = { status: res.statusCode, body: parse(res.body) };
    if (expected) {
      // HEAD answers carry no body: only the status is compared.
      const shapeOk = m === 'HEAD' || errorShapeOk(out.body, expected.error);
      if (out.status !== expected.status || !shapeOk) {
        violations.push(
          `${m} ${path} as ${label}: expected ${expected.status} ${expected.error}, got ${out.status} ${JSON.stringify(out.body).slice(0, 300)}`,
        );
      }
      const denials = changes.filter((ch) => auditRow(ch)?.outcome === 'denied').length;
      const audited = expected.error === 'forbidden' || (identity !== null && c.hidden?.includes(identity.name));
      if (audited && denials !== 1)
        violations.push(
          `${m} ${path} as ${label}: a refusal (${out.status}) must leave one 'denied' audit record, found ${denials}`,
        );
      const left = refusalSideEffects(changes, {
        status: audited ? 403 : out.status,
        actor: identity?.username ?? null,
        refusalOnTimeline: c.refusalOnTimeline,
        refusalAudit: c.refusalAudit,
      });
      const where = `${m} ${path} as ${label}`;
      for (const l of left) violations.push(`${where}: the refused call changed the store: ${l}`);
      // The shell's refusal note goes to the pod's timeline, live too; nothing else may be published.
      const extra = published.filter((t) => !(c.refusalOnTimeline && out.status === 403 && t === 'timeline'));
      if (extra.length) violations.push(`${where}: the refused call published live messages: ${extra.join(', ')}`);
      if (disconnected.length)
        violations.push(`${where}: the refused call disconnected the agent of ${disconnected.join(', ')}`);
    }
    return out;
  };
  const methods: NonNullable<InjectOptions['method']>[] = method === 'GET' ? ['GET', 'HEAD'] : [method];
  const unauthenticated = { status: 401, error: 'unauthenticated' };

  for (const [label, auth] of [
    ['anonymous', {}],
    ['bogus token', bearer('whu_not-a-real-token')],
  ] as const) {
    for (const m of methods) await call(null, auth, m, label, unauthenticated);
  }

  for (const identity of identities.values()) {
    const allowed = c.allow.includes(identity.name);
    if (allowed) {
      const res = await call(identity, bearer(identity.token), method, identity.name, null);
      const ok = c.success ? c.success.includes(res.status) : res.status >= 200 && res.status < 300;
      if (!ok)
        violations.push(
          `${c.route} as ${identity.name}: allowed, expected success, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
        );
    } else {
      const refused =
        c.refused ??
        (identity.mustChangePassword
          ? { status: 403, error: 'password_change_required' }
          : c.hidden?.includes(identity.name)
            ? { status: 404, error: 'not_found' }
            : { status: 403, error: 'forbidden' });
      for (const m of methods) await call(identity, bearer(identity.token), m, identity.name, refused);
    }
  }
  return violations;
}

/**
 * Every route the app has registered, as 'METHOD /path/{param}', read from
 * Fastify at run time (printRoutes), so it does not matter which file or
 * plugin registered it. HEAD routes Fastify adds for GETs are included.
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) throw new Error(`cannot read printRoutes line: ${JSON.stringify(line)}`);
    const depth = (m[1] ?? '').length / 4;
    const parent = depth > 0 ? (stack[depth - 1] ?? '') : '';
    // printRoutes drops the slash before a wildcard under a parameter (/pf/:token/* shows as "*" under "pf/:token").
    const slash = (m[2] ?? '').startsWith('*') && /:[A-Za-z0-9_]+$/.test(parent) ? '/' : '';
    const path = parent + slash + (m[2] ?? '');
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      // Checked against the router, so a misread tree cannot silently drop or invent a route.
      if (!app.hasRoute({ method, url: path }))
        throw new Error(`printRoutes showed ${method} ${path}, but the router does not know it`);
      out.push(`${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    }
  }
  return out;
}

/**
 * Registered routes that neither a case nor `publicRoutes` covers (HEAD counts
 * as covered by its GET, which the matrix calls with HEAD too), and names in
 * cases or `publicRoutes` that match no route (a renamed route must not leave
 * a stale, passing case behind).
 */
export function coverageGaps(
  app: FastifyInstance,
  covered: readonly string[],
  publicRoutes: readonly string[],
): { uncovered: string[]; stale: string[]; duplicated: string[] } {
  const routes = registeredRoutes(app);
  const known = new Set(routes);
  const claimed = [...covered, ...publicRoutes];
  const claimedSet = new Set(claimed);
  const uncovered = routes.filter((r) => {
    const asGet = r.startsWith('HEAD ') ? `GET ${r.slice(5)}` : r;
    return !claimedSet.has(r) && !claimedSet.has(asGet);
  });
  const stale = [...claimedSet].filter((r) => !known.has(r));
  const duplicated = claimed.filter((r, i) => claimed.indexOf(r) !== i);
  return { uncovered, stale, duplicated };
}
