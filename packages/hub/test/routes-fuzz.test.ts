// Every route the hub registers — read from Fastify at run time, so a new
// route is fuzzed without anyone listing it — called with random path
// parameters, query strings and bodies, as anonymous, a viewer, an admin and
// an admin still on a one-time password,
// by bearer token or cookie session (with and without the CSRF header).
// After every call: no 5xx (except 503 agent_unavailable: this hub has no
// agent), every error in the API's shape, and after every refusal the whole
// store (every table) is unchanged except for the refusal's own evidence —
// audit records with outcome denied/failed/rejected and the pod shell's
// refusal note on the pod's timeline.
//
// Bounded: FUZZ_RUNS calls per route (~40 routes) plus a WebSocket property
// for the live feed; about 20 s on a busy 2-core machine.
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '@wheelhouse/protocol';
import { createApiToken, createBinding, createSession } from '../src/auth/identity-store.js';
import { createHub, type Hub } from '../src/server.js';
import { PUBLIC_ROUTES, registeredRoutes } from './support/authz-matrix.js';
import { changesDuring, isShellDenialEvent, refusalLeftovers } from './support/db-snapshot.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { podItem } from './support/inventory-items.js';

useFastPasswordHashing();

const FUZZ_RUNS = Number(process.env.WHEELHOUSE_FUZZ_RUNS ?? 30);
const ONE_TIME_MAY = new Set([
  ...Object.keys(PUBLIC_ROUTES),
  'GET /api/v1/me',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/oidc/logout',
  'POST /api/v1/auth/password',
]);
const SESSION_ID = '0b5f8a52-3c1e-4d7a-9a43-6f0e2d9c1b77';

type Method = NonNullable<InjectOptions['method']>;
interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  pattern?: string;
}
interface RouteInfo {
  method: Method;
  path: string;
  query: Record<string, JsonSchema>;
  body: JsonSchema | null;
}

/**
 * A hostile value as query text. Objects go as JSON: fast-check's JSON values include keys such as
 * "toString" and "valueOf", and String() of such an object throws in the test instead of reaching the hub.
 */
const queryText = (v: unknown): string => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '*',
    '../..',
    '%00',
    '\u0000',
    '__proto__',
    'constructor',
    '-1',
    '1e309',
    'NaN',
    '🙂',
    'a'.repeat(5000),
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

// Near-valid values by field name, so requests also get past validation into the handlers.
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  action: fc.constantFrom(...Object.keys(ACTIONS), 'rescale'),
  kind: fc.constantFrom('ConfigMap', 'Pod', 'Deployment', 'Node', 'Job', 'Secret'),
  namespace: fc.constantFrom('team-a', 'team-a', 'team-b', '', '*'),
  name: fc.constantFrom('settings', 'web-0', 'kwok-node-0'),
  cluster: fc.constantFrom('prod', 'staging', '*', 'prod-*'),
  role: fc.constantFrom('account-admin', 'operator', 'viewer', 'auditor', 'inventory-viewer'),
  username: fc.stringMatching(/^[a-z0-9][a-z0-9._@-]{0,12}$/),
  password: fc.string({ minLength: 10, maxLength: 30 }),
  current: fc.string({ minLength: 1, maxLength: 30 }),
  next: fc.string({ minLength: 10, maxLength: 30 }),
  format: fc.constantFrom('jsonl', 'csv'),
  limit: fc.constantFrom('1', '100', '0', '100000'),
  container: fc.constantFrom('app', 'init', 'nope'),
  follow: fc.constantFrom('true', 'false'),
  previous: fc.constantFrom('true', 'false'),
  tailLines: fc.constantFrom('0', '10', '500'),
  cols: fc.constantFrom('80', '80', '1001'),
  rows: fc.constantFrom('24', '24', '0'),
  command: fc.constantFrom('sh', 'ls'),
  from: fc.constantFrom('0', '1700000000000'),
  to: fc.constantFrom('9999999999999'),
  key: fc.constantFrom('example.com/a', 'bad key'),
  value: fc.string({ maxLength: 20 }),
  replicas: fc.integer({ min: -1, max: 5 }),
  userId: fc.constantFrom('victimUser', 'nope'),
};

/** Values for a field: near-valid ones (by name, enum or type) and, when `wild`, hostile ones too. */
function fromSchema(key: string, s: JsonSchema | undefined, wild: boolean, depth = 0): fc.Arbitrary<unknown> {
  const plausible = PLAUSIBLE[key];
  const typed: fc.Arbitrary<unknown>[] = [];
  if (s?.enum?.length) typed.push(fc.constantFrom(...s.enum));
  if (s?.type === 'boolean') typed.push(fc.boolean());
  if (s?.type === 'integer' || s?.type === 'number') typed.push(fc.integer({ min: -5, max: 5000 }));
  if (s?.type === 'object' && s.properties && depth < 3) {
    const props = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, fromSchema(k, v, wild, depth + 1)] as const),
    );
    typed.push(fc.record(props, { requiredKeys: [] }));
  }
  if (s?.type === 'object' && !s.properties) typed.push(fc.dictionary(fc.string({ maxLength: 10 }), hostile));
  const near = [...(plausible ? [plausible] : []), ...typed];
  if (s?.type === 'string' && near.length === 0) near.push(fc.string({ minLength: 1, maxLength: 20 }));
  return wild || near.length === 0 ? fc.oneof(...near, hostile) : fc.oneof(...near);
}

describe('fuzzing every route as anonymous, viewer and admin', () => {
  let hub: Hub;
  let routes: RouteInfo[] = [];
  const users = new Map<string, TestUser & { session: { cookie: string; csrfToken: string; idHash: string } }>();
  // Ids the fuzzer may aim at, so calls also reach handlers with real targets; refreshed before each call.
  const ids = { victimUser: '', victimBinding: '', victimToken: '', command: '' };
  const statusCounts = new Map<string, number>();

  async function ensureFixtures(): Promise<void> {
    if (!(await hub.clusters.get('prod'))) {
      await hub.clusters.create('prod', 'test');
      await hub.clusters.markConnected('prod', {
        agentVersion: 'test',
        kubernetesVersion: 'v1.35.4',
        capabilities: { basic: true, advanced: true, podExec: true },
      });
      await hub.inventory.applyChanges('prod', [podItem('team-a', 'web-0', Date.now())], []);
      const prod = await hub.clusters.get('prod');
      if (!prod) throw new Error('no cluster');
      const req = {
        action: 'annotate',
        target: { kind: 'ConfigMap', namespace: 'team-a', name: 'settings' },
        params: { key: 'example.com/a', value: 'b' },
      };
      ids.command = (await hub.commands.create('test', prod, { ...req, dryRun: false }, req.params)).id;
    }
    if (!(await hub.db.selectFrom('users').select('id').where('id', '=', ids.victimUser).executeTakeFirst())) {
      const victim = await addUser(hub, { bindings: [{ role: 'viewer' }] });
      ids.victimUser = victim.userId;
      ids.victimToken = victim.tokenId;
    }
    if (
      !(await hub.db.selectFrom('role_bindings').select('id').where('id', '=', ids.victimBinding).executeTakeFirst())
    ) {
      ids.victimBinding = (
        await createBinding(hub.db, {
          userId: ids.victimUser,
          role: 'operator',
          clusterPattern: 'prod',
          namespacePattern: 'team-a',
          createdBy: 'test',
        })
      ).id;
    }
    if (!(await hub.db.selectFrom('api_tokens').select('id').where('id', '=', ids.victimToken).executeTakeFirst())) {
      ids.victimToken = (await createApiToken(hub.db, { userId: ids.victimUser, name: 'victim' })).id;
    }
    // A logout (or a password change) may have ended an identity's session: sign it in again.
    for (const u of users.values()) {
      const alive = await hub.db
        .selectFrom('sessions')
        .select('id_hash')
        .where('id_hash', '=', u.session.idHash)
        .executeTakeFirst();
      if (!alive) {
        const s = await createSession(hub.db, u.userId, 3_600_000);
        u.session = { cookie: `wh_session=${s.sessionId}`, csrfToken: s.csrfToken, idHash: s.idHash };
      }
    }
  }

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    for (const [name, role, mustChangePassword] of [
      ['admin', 'account-admin', false],
      ['viewer', 'viewer', false],
      // An admin still on a one-time password: refused nearly everywhere, and must change nothing.
      ['one-time', 'account-admin', true],
    ] as const) {
      const u = await addUser(hub, { username: `fuzz-${name}`, bindings: [{ role }], mustChangePassword });
      users.set(name, { ...u, session: { cookie: '', csrfToken: '', idHash: '' } });
    }
    await ensureFixtures();
    await hub.db
      .insertInto('shell_sessions')
      .values({
        id: SESSION_ID,
        cluster_id: 'prod',
        namespace: 'team-a',
        pod: 'web-0',
        container: 'app',
        command: '["sh"]',
        username: 'fuzz-viewer',
        kube_user: null,
        client_address: '127.0.0.1',
        started_at: Date.now(),
        ended_at: Date.now() + 1,
        end_reason: 'closed',
        exit_code: 0,
        recorded: 1,
        input_captured: 0,
        recording_bytes: 10,
        recording_truncated: 0,
      })
      .execute();

    // Query and body fields as the OpenAPI document declares them (routes it hides get generic ones).
    const doc = (await hub.app.inject({ url: '/api/openapi.json' })).json<{
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { in: string; name: string; schema: JsonSchema }[];
            requestBody?: { content?: { 'application/json'?: { schema?: JsonSchema } } };
          }
        >
      >;
    }>();
    routes = registeredRoutes(hub.app)
      .filter((r) => !r.startsWith('HEAD '))
      .map((r) => {
        const [method, path] = r.split(' ') as [Method, string];
        const op = doc.paths[path]?.[method.toLowerCase()];
        const query = Object.fromEntries(
          (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema] as const),
        );
        return { method, path, query, body: op?.requestBody?.content?.['application/json']?.schema ?? null };
      });
  });
  afterAll(async () => {
    console.log(`[fuzz] answers by route and status: ${JSON.stringify(Object.fromEntries([...statusCounts].sort()))}`);
    await hub.close();
  });

  const identityArb = fc.constantFrom('admin', 'admin', 'viewer', 'anonymous', 'one-time');
  const authArb = fc.constantFrom('bearer', 'bearer', 'session', 'session-no-csrf', 'bad-token', 'bad-cookie');
  const idRef = fc.oneof(
    { arbitrary: fc.constantFrom('victimUser', 'victimBinding', 'victimToken', 'command', 'session'), weight: 3 },
    fc.string({ maxLength: 70 }),
    fc.uuid(),
  );
  const paramArb: Record<string, fc.Arbitrary<string>> = {
    cluster: fc.oneof(
      { arbitrary: fc.constantFrom('prod', 'staging'), weight: 3 },
      fc.constantFrom('PROD', 'a'.repeat(41)),
      fc.string({ maxLength: 50 }),
    ),
    namespace: fc.oneof(
      { arbitrary: fc.constantFrom('team-a', 'team-b'), weight: 3 },
      fc.constantFrom('kube-system', 'Team-A'),
      fc.string({ maxLength: 70 }),
    ),
    pod: fc.oneof({ arbitrary: fc.constantFrom('web-0', 'web-1'), weight: 3 }, fc.string({ maxLength: 260 })),
    id: idRef,
    '*': fc.oneof(fc.constantFrom('c/prod/workloads', 'api/v1/nope', 'assets/x.js'), fc.string({ maxLength: 40 })),
  };

  function headersFor(identity: string, auth: string): Record<string, string> {
    const u = users.get(identity);
    if (auth === 'bad-token') return bearer('whu_nope');
    if (auth === 'bad-cookie') return { cookie: 'wh_session=nope' };
    if (!u) return {};
    if (auth === 'bearer') return bearer(u.token);
    if (auth === 'session') return { cookie: u.session.cookie, 'x-csrf-token': u.session.csrfToken };
    return { cookie: u.session.cookie };
  }

  const resolveId = (v: string): string => (v === 'session' ? SESSION_ID : v in ids ? ids[v as keyof typeof ids] : v);

  it('finds the routes at run time, streaming and hidden ones included', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    for (const r of [
      'GET /api/v1/live',
      'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/shell',
      'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/logs',
      'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/portforward',
      'GET /api/v1/clusters/{cluster}/objects',
      'DELETE /api/v1/clusters/{cluster}',
      'POST /api/v1/clusters/{cluster}/token/revoke',
      'POST /api/v1/clusters/{cluster}/token/rotate',
      'POST /api/v1/auth/logout',
      'GET /metrics',
    ])
      expect(names).toContain(r);
  });

  it('every route: random input from anyone never 5xx, a refusal changes nothing, a one-time password opens nothing', async () => {
    for (const route of routes) {
      const params = [...route.path.matchAll(/\{([^}]+)\}|\*/g)].map((m) => m[1] ?? '*');
      const queryKeys = Object.keys(route.query);
      // No query, declared keys with near-valid values, or anything at all.
      const declared = (wild: boolean, all = false) =>
        fc
          .record(
            Object.fromEntries(queryKeys.map((k) => [k, fromSchema(k, route.query[k], wild).map(queryText)] as const)),
            all ? {} : { requiredKeys: [] },
          )
          .map((r) => Object.entries(r));
      const queryArb = fc.oneof(
        { arbitrary: fc.constant<[string, string][]>([]), weight: 1 },
        { arbitrary: declared(false), weight: 2 },
        { arbitrary: declared(false, true), weight: 2 },
        {
          arbitrary: fc
            .tuple(
              declared(true),
              fc.array(
                fc.tuple(
                  fc.oneof(...(queryKeys.length ? [fc.constantFrom(...queryKeys)] : []), fc.string({ maxLength: 8 })),
                  fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('0', '-5', '99999999999999999999', 'true')),
                ),
                { maxLength: 3 },
              ),
            )
            .map(([a, b]) => [...a, ...b]),
          weight: 1,
        },
      );
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
      const bodyArb = route.body
        ? fc.oneof({ arbitrary: fromSchema('', route.body, false), weight: 2 }, fromSchema('', route.body, true))
        : fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostile);
      await fc.assert(
        fc.asyncProperty(
          identityArb,
          authArb,
          fc.tuple(...params.map((p) => paramArb[p] ?? fc.string({ maxLength: 40 }))),
          queryArb,
          bodyArb,
          fc.constantFrom(
            'application/json',
            'application/json',
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
          ),
          async (identity, auth, values, pairs, body, contentType) => {
            await ensureFixtures();
            let i = 0;
            const path = route.path.replace(/\{[^}]+\}|\*/g, () => {
              const v = resolveId(values[i++] ?? '');
              return route.path.endsWith('*') && i === values.length ? encodeURI(v) : encodeURIComponent(v);
            });
            const qs = new URLSearchParams(
              pairs.map(([k, v]) => [k, k === 'userId' ? resolveId(queryText(v)) : queryText(v)] as [string, string]),
            ).toString();
            const url = `${path}${qs ? `?${qs}` : ''}`;
            const headers = headersFor(identity, auth);
            // undefined (a property fast-check dropped) stringifies to undefined, whatever the types say.
            const json = (JSON.stringify(body) as string | undefined) ?? '';
            const published: string[] = [];
            const unsubscribe = hub.live.subscribe((msg) => published.push(msg.type));
            const { result: res, changes } = await changesDuring(hub.db, () =>
              hub.app.inject({
                method: route.method,
                url,
                headers: { ...headers, ...(hasBody ? { 'content-type': contentType } : {}) },
                ...(hasBody
                  ? {
                      payload: typeof body === 'string' && contentType !== 'application/json' ? body : json,
                    }
                  : {}),
              }),
            ).finally(unsubscribe);
            const label = `${route.method} ${url.slice(0, 200)} as ${identity}/${auth} body ${json.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
            const key = `${route.method} ${route.path} ${res.statusCode}`;
            statusCounts.set(key, (statusCounts.get(key) ?? 0) + 1);
            const parsed = ((): { error?: unknown; message?: unknown } => {
              try {
                return JSON.parse(res.body) as { error?: unknown; message?: unknown };
              } catch {
                return {};
              }
            })();
            const agentAway = res.statusCode === 503 && parsed.error === 'agent_unavailable';
            // A one-time password opens only the public routes and the ones that let it be changed.
            if (identity === 'one-time' && res.statusCode < 300)
              expect(ONE_TIME_MAY.has(`${route.method} ${route.path}`), label).toBe(true);
            expect(res.statusCode < 500 || agentAway, label).toBe(true);
            if (res.statusCode >= 400) {
              expect(typeof parsed.error, label).toBe('string');
              expect(typeof parsed.message, label).toBe('string');
              expect(refusalLeftovers(changes), label).toEqual([]);
              // Nothing reached browsers either, but the shell's refusal note on the pod's timeline.
              const notes = changes.filter(isShellDenialEvent).length;
              const timeline = published.filter((t) => t === 'timeline').length;
              expect(
                {
                  other: published.filter((t) => t !== 'timeline'),
                  timelineBeyondNotes: Math.max(0, timeline - notes),
                },
                label,
              ).toEqual({ other: [], timelineBeyondNotes: 0 });
            }
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    }
  }, 300_000);

  it('the live feed over WebSocket: random clusters and identities are answered, never 5xx', async () => {
    await hub.app.ready();
    await fc.assert(
      fc.asyncProperty(
        identityArb,
        fc.oneof(fc.constantFrom('prod', 'staging', ''), fc.string({ maxLength: 60 })),
        fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 })), { maxLength: 2 }),
        async (identity, cluster, extra) => {
          await ensureFixtures();
          const qs = new URLSearchParams([['cluster', cluster], ...extra]).toString();
          const { result, changes } = await changesDuring(hub.db, () =>
            hub.app
              .injectWS(`/api/v1/live?${qs}`, { headers: headersFor(identity, 'bearer') })
              .then((ws) => {
                ws.terminate();
                return 101;
              })
              .catch((err: unknown) => Number(/(\d{3})/.exec(String(err))?.[1] ?? 0)),
          );
          const label = `live ?${qs} as ${identity} → ${result}`;
          expect(result === 101 || (result >= 400 && result < 500), label).toBe(true);
          if (result !== 101) expect(refusalLeftovers(changes), label).toEqual([]);
        },
      ),
      { numRuns: FUZZ_RUNS * 2 },
    );
  });

  it('the audit chain is intact after all of it', async () => {
    expect(await hub.audit.verify()).toMatchObject({ ok: true });
  });
});
