// Bad input never yields a 5xx: random JSON bodies, wrong types, huge
// strings, bad query strings and path ids against every identity and audit
// route, all answered with the API's error shape.
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { changesDuring, refusalLeftovers } from './support/db-snapshot.js';
import { addUser, bearer, login, useFastPasswordHashing, type TestSession, type TestUser } from './support/identity.js';

useFastPasswordHashing();

type Method = NonNullable<InjectOptions['method']>;
const ROUTES: { method: Method; path: string; keys: string[] }[] = [
  { method: 'POST', path: '/api/v1/auth/login', keys: ['username', 'password'] },
  { method: 'POST', path: '/api/v1/auth/password', keys: ['current', 'next'] },
  { method: 'GET', path: '/api/v1/me', keys: [] },
  { method: 'POST', path: '/api/v1/tokens', keys: ['name', 'expiresInDays', 'password'] },
  { method: 'GET', path: '/api/v1/tokens', keys: [] },
  { method: 'DELETE', path: '/api/v1/tokens/{id}', keys: [] },
  { method: 'GET', path: '/api/v1/users', keys: [] },
  { method: 'POST', path: '/api/v1/users', keys: ['username', 'password', 'role', 'cluster', 'namespace'] },
  { method: 'PATCH', path: '/api/v1/users/{id}', keys: ['disabled', 'password'] },
  { method: 'DELETE', path: '/api/v1/users/{id}', keys: [] },
  { method: 'GET', path: '/api/v1/roles', keys: [] },
  { method: 'GET', path: '/api/v1/bindings', keys: ['userId'] },
  { method: 'POST', path: '/api/v1/bindings', keys: ['userId', 'role', 'cluster', 'namespace'] },
  { method: 'DELETE', path: '/api/v1/bindings/{id}', keys: [] },
  {
    method: 'GET',
    path: '/api/v1/audit',
    keys: ['actor', 'action', 'cluster', 'outcome', 'from', 'to', 'cursor', 'limit'],
  },
  { method: 'GET', path: '/api/v1/audit/verify', keys: [] },
  { method: 'GET', path: '/api/v1/audit/export', keys: ['format'] },
];

// Values of every JSON type, plausible and hostile.
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    '*',
    'prod-*',
    'admin',
    'viewer',
    'account-admin',
    'jsonl',
    'csv',
    '0',
    '-1',
    '1e309',
    'NaN',
    '__proto__',
    'constructor',
    '2024-01-01T00:00:00Z',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)),
);

// Near-valid values, so bodies also get past validation into the handlers.
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  username: fc.stringMatching(/^[a-z0-9][a-z0-9._@-]{0,15}$/),
  password: fc.string({ minLength: 10, maxLength: 40 }),
  current: fc.string({ minLength: 1, maxLength: 40 }),
  next: fc.string({ minLength: 10, maxLength: 40 }),
  role: fc.constantFrom('account-admin', 'operator', 'viewer', 'auditor', 'inventory-viewer'),
  cluster: fc.oneof(fc.constantFrom('*', 'prod-*'), fc.stringMatching(/^[a-z0-9.*-]{1,20}$/)),
  namespace: fc.oneof(fc.constantFrom('*', 'team-*'), fc.stringMatching(/^[a-z0-9.*-]{1,20}$/)),
  name: fc.string({ minLength: 1, maxLength: 100 }),
  expiresInDays: fc.integer({ min: 1, max: 3650 }),
  disabled: fc.boolean(),
  userId: fc.uuid(),
};

const bodyFor = (keys: string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue(),
    keys.length
      ? fc.record(Object.fromEntries(keys.map((k) => [k, PLAUSIBLE[k] ?? value])), { requiredKeys: [] })
      : fc.constant({}),
    keys.length ? fc.record(Object.fromEntries(keys.map((k) => [k, value])), { requiredKeys: [] }) : fc.constant({}),
    fc.dictionary(fc.oneof(fc.constantFrom(...(keys.length ? keys : ['x'])), fc.string()), value, { maxKeys: 6 }),
  );

const queryFor = (keys: string[]): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...(keys.length ? keys : ['q'])), fc.string({ maxLength: 8 })),
        fc.oneof(fc.string(), fc.constantFrom('0', '-5', '99999999999999999999', 'abc', '%', '%%', '2024-13-45')),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const idArb = fc.oneof(
  fc.string({ minLength: 1 }),
  fc.uuid(),
  fc.nat({ max: 5000 }).map((n) => 'i'.repeat(n + 1)),
);

function expectErrorShape(res: { statusCode: number; body: string }, label: string): void {
  expect(res.statusCode, `${label} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as { error?: unknown; message?: unknown };
    expect(typeof body.error, label).toBe('string');
    expect(typeof body.message, label).toBe('string');
  }
}

describe('fuzzing identity and audit routes', () => {
  let hub: Hub;
  let admin: TestUser;
  let session: TestSession;
  beforeAll(async () => {
    hub = await createHub({ logger: false });
    admin = await addUser(hub, { username: 'fuzz-admin', bindings: [{ role: 'account-admin' }] });
    session = await login(hub, 'fuzz-admin', admin.password);
  });
  afterAll(() => hub.close());

  // Bearer, cookie with CSRF token, cookie without, and nobody.
  const authArb = fc.constantFrom('bearer', 'session', 'session-no-csrf', 'none');
  const headersFor = (auth: string): Record<string, string> =>
    auth === 'bearer'
      ? bearer(admin.token)
      : auth === 'session'
        ? { cookie: session.cookie, 'x-csrf-token': session.csrfToken }
        : auth === 'session-no-csrf'
          ? { cookie: session.cookie }
          : {};

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: random bodies, queries and ids never 5xx',
    async (_label, route) => {
      await fc.assert(
        fc.asyncProperty(bodyFor(route.keys), queryFor(route.keys), idArb, authArb, async (body, query, id, auth) => {
          const url = `${route.path.replace('{id}', encodeURIComponent(id))}${query ? `?${query}` : ''}`;
          const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
          const { result: res, changes } = await changesDuring(hub.db, () =>
            hub.app.inject({
              method: route.method,
              url,
              headers: headersFor(auth),
              ...(hasBody
                ? {
                    payload: JSON.stringify(body),
                    headers: { ...headersFor(auth), 'content-type': 'application/json' },
                  }
                : {}),
            }),
          );
          const label = `${route.method} ${url.slice(0, 200)} ${JSON.stringify(body).slice(0, 200)}`;
          expectErrorShape(res, label);
          // Every table: a refused request leaves nothing but its audit evidence.
          if (res.statusCode >= 400) expect(refusalLeftovers(changes), label).toEqual([]);
        }),
        { numRuns: 40 },
      );
    },
  );

  it('raw payloads: broken JSON, wrong content types, empty bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES.filter((r) => r.method === 'POST' || r.method === 'PATCH')),
        fc.oneof(
          fc.string(),
          fc.constantFrom(
            '{',
            '{"username":',
            '[]',
            'null',
            '""',
            '{"__proto__":{"x":1}}',
            '{"constructor":{"prototype":{}}}',
          ),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          '',
        ),
        async (route, payload, contentType) => {
          const res = await hub.app.inject({
            method: route.method,
            url: route.path.replace('{id}', 'x'),
            headers: { ...bearer(admin.token), ...(contentType ? { 'content-type': contentType } : {}) },
            payload,
          });
          expectErrorShape(res, `${route.method} ${route.path} ${contentType} ${payload.slice(0, 100)}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a 5 MiB body is refused with 413, not a crash', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'a', password: 'p'.repeat(5 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expectErrorShape(res, 'huge body');
  });

  it('the audit chain is intact after all of it', async () => {
    expect(await hub.audit.verify()).toMatchObject({ ok: true });
  });
});
