// The live feed sends one message's JSON to every socket that may see all of
// it, and a namespace-scoped viewer's socket gets only its namespace's items
// (never the text made for a wider viewer), for browsers sharing a cluster.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { InventoryItem } from '@wheelhouse/protocol';
import { createApiToken, createBinding, createUser } from '../src/auth/identity-store.js';
import { createHub, type Hub } from '../src/server.js';

const pod = (namespace: string, name: string): InventoryItem =>
  ({
    kind: 'Pod',
    namespace,
    name,
    uid: `${namespace}-${name}`,
    resourceVersion: '1',
    createdAt: 0,
    labels: {},
    ownerRefs: [],
    summary: {},
  }) as unknown as InventoryItem;

describe('live feed fan-out to several sockets of one cluster', () => {
  let hub: Hub;
  let base = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    await hub.clusters.create('c1', 'test');
    for (const [name, ns] of [
      ['wide', '*'],
      ['team', 'team-a'],
    ] as const) {
      const { user } = await createUser(hub.db, {
        username: name,
        passwordHash: 'x',
        mustChangePassword: false,
        createdBy: 'test',
      });
      await createBinding(hub.db, {
        userId: user.id,
        role: 'viewer',
        clusterPattern: 'c1',
        namespacePattern: ns,
        createdBy: 'test',
      });
      tokens[name] = (await createApiToken(hub.db, { userId: user.id, name: 'live' })).token;
    }
  });
  afterAll(async () => {
    await hub.close();
  });

  const subscribe = async (who: string): Promise<{ ws: WebSocket; got: unknown[] }> => {
    const ws = new WebSocket(`${base}/api/v1/live?cluster=c1`, {
      headers: { authorization: `Bearer ${tokens[who] ?? ''}` },
    });
    const got: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { type: string };
        if (m.type === 'subscribed') resolve();
        else got.push(m);
      });
      ws.once('error', reject);
    });
    return { ws, got };
  };

  it('gives each wide viewer the whole message and the scoped viewer only its namespace, in order', async () => {
    const wide1 = await subscribe('wide');
    const team = await subscribe('team');
    const wide2 = await subscribe('wide');
    const both = { upserts: [pod('team-a', 'p1'), pod('team-b', 'p2')], deletes: [] };
    const other = {
      upserts: [pod('team-b', 'p3')],
      deletes: [{ kind: 'Pod', uid: 'x', namespace: 'team-b', name: 'p0' }],
    };
    hub.live.publish({ type: 'inventory', cluster: 'c1', ...both });
    hub.live.publish({ type: 'inventory', cluster: 'c1', ...other });
    hub.live.publish({ type: 'inventory', cluster: 'c2', upserts: [pod('team-a', 'elsewhere')], deletes: [] });
    const whole = [
      { type: 'inventory', cluster: 'c1', ...both },
      { type: 'inventory', cluster: 'c1', ...other },
    ];
    await expect.poll(() => wide1.got.length + wide2.got.length + team.got.length).toBe(5);
    expect(wide1.got).toEqual(whole);
    expect(wide2.got).toEqual(whole);
    expect(team.got).toEqual([{ type: 'inventory', cluster: 'c1', upserts: [pod('team-a', 'p1')], deletes: [] }]);
    for (const s of [wide1, wide2, team]) s.ws.terminate();
  });
});
