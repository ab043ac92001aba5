// GET …/timeline/counts (issue 18: a workload with 100k events, of which the
// console loads the newest): how many events a view's range holds, by type —
// the same events the timeline's pages hold; a namespace-scoped viewer counts
// only a namespace it may view; every parameter validated with the field named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineEventInput } from '@wheelhouse/protocol';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const T0 = 1_750_000_000_000;
const event = (i: number, namespace: string, owner: string): TimelineEventInput =>
  ({
    id: `e${i}`,
    time: T0 + i * 1000,
    type: i % 2 ? 'k8s-event' : 'container-restart',
    severity: 'warning',
    kind: 'Pod',
    namespace,
    name: `${owner}-${i % 5}`,
    owner: { kind: 'Deployment', name: owner },
    summary: `event ${i}`,
    data: {},
  }) as unknown as TimelineEventInput;

describe.each(storeFactories)('timeline counts route ($name store)', (store) => {
  let hub: Hub;
  let viewer: TestUser;
  let scoped: TestUser;
  beforeAll(async () => {
    hub = await createHub({ ...(await store.options()), logger: false, webRoot: false });
    await hub.clusters.create('c1', 'test');
    await hub.timeline.insert('c1', [
      ...Array.from({ length: 30 }, (_, i) => event(i, 'shop', 'api')),
      ...Array.from({ length: 7 }, (_, i) => event(100 + i, 'shop', 'web')),
      ...Array.from({ length: 4 }, (_, i) => event(200 + i, 'other', 'api')),
    ]);
    viewer = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    scoped = await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c1', namespace: 'shop' }] });
  });
  afterAll(() => hub.close());

  const get = (user: TestUser, query: string) =>
    hub.app.inject({ url: `/api/v1/clusters/c1/timeline/counts${query}`, headers: bearer(user.token) });

  it("counts a workload's events in a range by type, as its timeline pages hold them", async () => {
    const q = `?namespace=shop&kind=Deployment&name=api&from=${T0 + 10_000}&to=${T0 + 19_000}`;
    const res = await get(viewer, q);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ total: 10, byType: { 'k8s-event': 5, 'container-restart': 5 } });
    const page = await hub.app.inject({
      url: `/api/v1/clusters/c1/timeline${q}&limit=1000`,
      headers: bearer(viewer.token),
    });
    expect(page.json<{ items: unknown[] }>().items).toHaveLength(10);
    expect((await get(viewer, '')).json()).toMatchObject({ total: 41 });
  });

  it('lets a namespace-scoped viewer count their namespace only', async () => {
    const mine = await get(scoped, '?namespace=shop');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ total: 37 });
    const cluster = await get(scoped, '');
    expect(cluster.statusCode).toBe(403);
    expect(cluster.json()).toMatchObject({ permission: 'view', scope: { cluster: 'c1' } });
    expect((await get(scoped, '?namespace=other')).statusCode).toBe(403);
  });

  it('names the field of a bad parameter (400), unknown ones included', async () => {
    for (const [query, field] of [
      ['?from=-5', 'from'],
      ['?to=soon', 'to'],
      ['?type=k8s-event', 'type'],
      [`?name=${'x'.repeat(254)}`, 'name'],
    ] as const) {
      const res = await get(viewer, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.body, query).toContain(field);
    }
  });
});
