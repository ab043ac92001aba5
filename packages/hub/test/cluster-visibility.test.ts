// A cluster the caller cannot view is answered exactly like one that does not
// exist, on every route that names a cluster: a 403 for an existing name and a
// 404 for an invented one would let anyone enumerate the hub's clusters. Every
// matrix case with `hidden` identities is called twice per hidden identity —
// once for prod-east, once with the cluster (or action id) replaced by one that
// does not exist — and the answers must be the same, names aside.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { CLUSTER_MATRIX, SHELL_MATRIX, STREAM_MATRIX, type MatrixTable } from './support/authz-cases.js';
import { setupIdentities, type Identity } from './support/authz-matrix.js';
import { bearer, useFastPasswordHashing } from './support/identity.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

describe.each([
  ['clusters, inventory, timeline, actions', CLUSTER_MATRIX],
  ['pod shell', SHELL_MATRIX],
  ['live feed and pod logs', STREAM_MATRIX],
] as const)('cluster visibility: %s', (_name, table: MatrixTable) => {
  let hub: Hub;
  let identities: Map<string, Identity>;
  beforeAll(async () => {
    useFastPasswordHashing();
    hub = await createHub({ logger: false, webRoot: false });
    identities = await setupIdentities(hub, table.identities);
    await table.setup(hub);
  });
  afterAll(() => hub.close());

  const cases = table.cases.filter((c) => c.hidden?.length);
  it('names at least one cluster-scoped route', () => expect(cases.length).toBeGreaterThan(0));

  it.each(cases.map((c) => [c.route, c] as const))('%s: invisible = nonexistent', async (_route, c) => {
    for (const name of c.hidden ?? []) {
      const identity = identities.get(name);
      if (!identity) throw new Error(`no identity ${name}`);
      const req = c.request ? await c.request({ hub, identity, identities }) : { url: c.route.split(' ')[1] ?? '' };
      const method = c.route.split(' ')[0] as 'GET' | 'POST';
      const ids = req.url.match(UUID) ?? [];
      let other = req.url.replaceAll('prod-east', 'no-such-cluster');
      for (const id of ids) other = other.replace(id, randomUUID());
      const call = (url: string) =>
        hub.app.inject({
          method,
          url,
          headers: bearer(identity.token),
          ...(req.payload !== undefined ? { payload: req.payload } : {}),
        });
      const [seen, missing] = [await call(req.url), await call(other)];
      const strip = (body: string) =>
        body.replaceAll('prod-east', 'C').replaceAll('no-such-cluster', 'C').replaceAll(UUID, 'ID');
      expect({ as: name, status: seen.statusCode, body: strip(seen.body) }).toEqual({
        as: name,
        status: missing.statusCode,
        body: strip(missing.body),
      });
      expect(seen.statusCode).toBe(404);
      expect(seen.body).not.toContain('forbidden');
    }
  });
});
