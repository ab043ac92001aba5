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

  const buckets = (user: TestUser, query: string) =>
    hub.app.inject({ url: `/api/v1/clusters/c1/timeline/buckets${query}`, headers: bearer(user.token) });

  it("cuts a workload's range into time buckets counted by type, and leaves out the events already loaded", async () => {
    const q = `?namespace=shop&kind=Deployment&name=api&from=${T0}&to=${T0 + 29_999}`;
    const res = await buckets(viewer, `${q}&buckets=3`);
    expect(res.statusCode, res.body).toBe(200);
    const half = { 'k8s-event': 5, 'container-restart': 5 };
    expect(res.json()).toEqual({
      from: T0,
      to: T0 + 29_999,
      width: 10_000,
      buckets: [
        { start: T0, total: 10, byType: half },
        { start: T0 + 10_000, total: 10, byType: half },
        { start: T0 + 20_000, total: 10, byType: half },
      ],
    });
    // The newest 10 loaded: the buckets count the 20 before them.
    const page = await hub.app.inject({
      url: `/api/v1/clusters/c1/timeline${q}&limit=10`,
      headers: bearer(viewer.token),
    });
    const cursor = page.json<{ nextCursor: number }>().nextCursor;
    const rest = (await buckets(viewer, `${q}&buckets=3&before=${cursor}`)).json<{ buckets: { total: number }[] }>();
    expect(rest.buckets.map((b) => b.total)).toEqual([10, 10]);
    // A namespace's buckets hold every workload's events of the range; empty buckets are left out.
    const ns = (await buckets(viewer, `?namespace=shop&from=${T0}&to=${T0 + 199_999}&buckets=20`)).json<{
      buckets: { start: number; total: number }[];
    }>();
    expect(ns.buckets).toEqual([
      { start: T0, total: 10, byType: half },
      { start: T0 + 10_000, total: 10, byType: half },
      { start: T0 + 20_000, total: 10, byType: half },
      { start: T0 + 100_000, total: 7, byType: { 'container-restart': 4, 'k8s-event': 3 } },
    ]);
  });

  it('buckets: a namespace-scoped viewer gets their namespace only; bad parameters name the field', async () => {
    const range = `from=${T0}&to=${T0 + 1000}`;
    expect((await buckets(scoped, `?namespace=shop&${range}`)).statusCode).toBe(200);
    expect((await buckets(scoped, `?${range}`)).statusCode).toBe(403);
    expect((await buckets(scoped, `?namespace=other&${range}`)).statusCode).toBe(403);
    for (const [query, field] of [
      [`?to=${T0}`, 'querystring.from'],
      [`?from=${T0}`, 'querystring.to'],
      [`?from=${T0}&to=${T0}`, 'querystring.to'],
      [`?${range}&buckets=0`, 'querystring.buckets'],
      [`?${range}&buckets=1001`, 'querystring.buckets'],
      [`?${range}&before=-1`, 'querystring.before'],
      [`?${range}&type=k8s-event`, 'type'],
    ] as const) {
      const res = await buckets(viewer, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.body, query).toContain(field);
    }
  });
});
