// Bad input never yields a 5xx on the cluster, inventory, timeline and action
// routes, every error has the API's shape, and a refused action changes nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { changesDuring, refusalLeftovers } from './support/db-snapshot.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

const hostile = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '../..',
    '%00',
    'Deployment',
    'ConfigMap',
    'Node',
    'annotate',
    '-1',
    '1e309',
    'NaN',
    '{}',
    '[]',
    'a'.repeat(5000),
    '\u0000',
    'ñ',
    '🙂',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);

function isErrorShape(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string' &&
    typeof (body as { message?: unknown }).message === 'string'
  );
}

describe('fuzzing cluster routes', () => {
  let hub: Hub;
  let auth: Record<string, string>;

  beforeAll(async () => {
    hub = await createHub({ logger: false });
    const admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
    auth = bearer(admin.token);
    await hub.clusters.create('prod', 'test');
    await hub.clusters.markConnected('prod', {
      agentVersion: 't',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: true },
    });
  });
  afterAll(() => hub.close());

  it('action requests: precise 4xx, never 5xx, nothing persisted when refused', async () => {
    const valid = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: 'default', name: 'cm' },
      params: { key: 'example.com/a', value: 'b' },
    };
    const mutated = fc.record({
      field: fc.constantFrom(
        'action',
        'target',
        'target.kind',
        'target.namespace',
        'target.name',
        'params',
        'params.key',
        'params.value',
        'reason',
        'dryRun',
        'extra',
      ),
      value: hostile,
    });
    await fc.assert(
      fc.asyncProperty(mutated, async ({ field, value }) => {
        const body = structuredClone(valid) as Record<string, unknown>;
        const [a, b] = field.split('.');
        if (a && b) (body[a] as Record<string, unknown>)[b] = value;
        else if (a) body[a] = value;
        // Every table, not only commands: a refused request leaves nothing but its audit evidence.
        const { result: res, changes } = await changesDuring(hub.db, () =>
          hub.app.inject({
            method: 'POST',
            url: '/api/v1/clusters/prod/actions',
            payload: body,
            headers: auth,
          }),
        );
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(isErrorShape(res.json())).toBe(true);
          expect(refusalLeftovers(changes), res.body).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('arbitrary JSON bodies and raw payloads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.string({ maxLength: 2000 })),
        fc.constantFrom('/api/v1/clusters', '/api/v1/clusters/prod/actions'),
        async (payload, url) => {
          const { result: res, changes } = await changesDuring(hub.db, () =>
            hub.app.inject({
              method: 'POST',
              url,
              payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
              headers: { ...auth, 'content-type': 'application/json' },
            }),
          );
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(isErrorShape(res.json())).toBe(true);
            expect(refusalLeftovers(changes), res.body).toEqual([]);
          }
        },
      ),
      { numRuns: 200 },
    );
    // 200 runs, each snapshotting every table of the store twice: seconds on a loaded 2-core machine.
  }, 30_000);

  it('query strings and path parameters', async () => {
    const key = fc.constantFrom(
      'kind',
      'namespace',
      'name',
      'type',
      'from',
      'to',
      'cursor',
      'limit',
      'cluster',
      'status',
      'selector',
      'templateSelector',
      'at',
      'sort',
      'zzz',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/api/v1/clusters/prod/resources',
          '/api/v1/clusters/prod/workloads',
          '/api/v1/clusters/prod/nodes',
          '/api/v1/clusters/prod/timeline',
          '/api/v1/actions',
          '/api/v1/clusters/%s',
          '/api/v1/actions/%s',
          '/api/v1/clusters/%s/resources',
        ),
        fc.array(fc.tuple(key, fc.string({ maxLength: 200 })), { maxLength: 5 }),
        fc.string({ maxLength: 100 }),
        async (path, query, id) => {
          const qs = new URLSearchParams(query).toString();
          const url = path.replace('%s', encodeURIComponent(id) || 'x') + (qs ? `?${qs}` : '');
          const res = await hub.app.inject({ method: 'GET', url, headers: auth });
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) expect(isErrorShape(res.json())).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the offending field', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters/prod/actions',
      payload: {
        action: 'annotate',
        target: { kind: 'ConfigMap', namespace: 'default', name: 'cm' },
        params: { key: 'not a key!', value: 'b' },
      },
      headers: auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'params.key' }] });
    const kind = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters/prod/actions',
      payload: { action: 'annotate', target: { kind: 'Secret', namespace: 'default', name: 'cm' }, params: {} },
      headers: auth,
    });
    expect(kind.json()).toMatchObject({
      path: 'target.kind',
      message: expect.stringContaining('does not apply to kind "Secret"') as unknown,
    });
    const unknown = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters/nope/actions',
      payload: { action: 'annotate', target: { kind: 'ConfigMap', namespace: 'default', name: 'cm' } },
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'cluster "nope" not found' });
  });
});
