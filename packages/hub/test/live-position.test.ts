// The live feed's position (issue 18, docs/console.md): a page's first reads go
// out before its live socket is subscribed, so a change stored in between could
// reach the page by neither. The reads the console follows carry the position
// of the hub's live feed taken before their store read (x-wheelhouse-live), the
// socket's `subscribed` message the position at subscription; the console asks
// a read again only when its position is older. A real hub on loopback, a raw
// agent with a real cluster token whose changes go through the store's group
// commit, a viewer's live socket.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LiveBus, type LiveMessage } from '../src/live/live-bus.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, useFastPasswordHashing } from './support/identity.js';
import { configMapItem, rawAgent, type RawAgent } from './support/raw-agent.js';

useFastPasswordHashing();

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const parse = (position: string): { bus: string; at: number } => {
  const m = /^([0-9a-f]+):(\d+)$/.exec(position);
  if (!m?.[1] || !m[2]) throw new Error(`not a live position: ${position}`);
  return { bus: m[1], at: Number(m[2]) };
};

describe('the live feed position on reads and on the subscription', () => {
  let hub: Hub;
  let agent: RawAgent;
  let base = '';
  let token = '';

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const created = await hub.clusters.create('c1', 'test');
    await hub.clusters.create('c2', 'test');
    token = (
      await addUser(hub, {
        username: 'viewer',
        bindings: [
          { role: 'viewer', cluster: 'c1' },
          { role: 'viewer', cluster: 'c2' },
        ],
      })
    ).token;
    agent = await rawAgent(hub, created?.token ?? '');
    await until('the link said hello', () => hub.link.isConnected('c1'));
  });
  afterAll(async () => {
    agent.ws.terminate();
    await hub.close();
  });

  const read = async (url: string): Promise<string> => {
    const res = await hub.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode, res.body).toBe(200);
    const h = res.headers['x-wheelhouse-live'];
    if (typeof h !== 'string') throw new Error(`${url}: no x-wheelhouse-live header`);
    return h;
  };
  /** A live socket: its subscription's position, and the messages after it. */
  const subscribe = async (cluster: string) => {
    const ws = new WebSocket(`${base}/api/v1/live?cluster=${cluster}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const got: { type: string }[] = [];
    const position = await new Promise<string>((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { type: string; position?: string };
        if (m.type === 'subscribed') resolve(m.position ?? '');
        else got.push(m);
      });
      ws.once('error', reject);
    });
    return { ws, got, position };
  };

  it("answers every followed read with the feed's position, the same one the socket subscribes at while quiet", async () => {
    const urls = [
      '/api/v1/clusters/c1/resources?kind=ConfigMap',
      '/api/v1/clusters/c1/resources?kind=ConfigMap&namespace=team-a&name=cm-1&limit=1',
      '/api/v1/clusters/c1/resources?kind=Pod&sort=name&limit=50',
      '/api/v1/clusters/c1/nodes?limit=50',
      '/api/v1/clusters/c1/workloads?limit=50',
      '/api/v1/clusters/c1/pods-by-node?nodes=n1',
    ];
    const before = await Promise.all(urls.map(read));
    const sock = await subscribe('c1');
    try {
      // Nothing published in between: every read is as new as the subscription (no second read).
      for (const p of before) expect(p).toBe(sock.position);

      // A change stored and published: later reads and subscriptions are past it, on the same bus.
      agent.send({ type: 'inventory.changes', upserts: [configMapItem('team-a', 'cm-1')], deletes: [] });
      await until('the change on the socket', () => sock.got.some((m) => m.type === 'inventory'));
      const after = await read(urls[0] ?? '');
      expect(parse(after).bus).toBe(parse(sock.position).bus);
      expect(parse(after).at).toBeGreaterThan(parse(sock.position).at);
      const again = await subscribe('c1');
      expect(again.position).toBe(after);
      again.ws.terminate();

      // Per cluster: c1's change did not move c2's position.
      const c2 = await read('/api/v1/clusters/c2/resources?kind=ConfigMap');
      expect(parse(c2).at).toBe(0);
    } finally {
      sock.ws.terminate();
    }
  });

  it('takes the position before it reads the store: a change published during the read makes it older than a later subscription', async () => {
    const original = hub.inventory.query.bind(hub.inventory);
    // A change published while the read is at the store (committed after its snapshot began).
    hub.inventory.query = (...args: Parameters<typeof original>) => {
      hub.live.publish({ type: 'inventory', cluster: 'c1', upserts: [configMapItem('team-a', 'cm-2')], deletes: [] });
      return original(...args);
    };
    try {
      const answered = await read('/api/v1/clusters/c1/resources?kind=ConfigMap');
      const sock = await subscribe('c1');
      sock.ws.terminate();
      // Older than the subscription: the console asks this read again (its answer may lack cm-2's change).
      expect(parse(answered).at).toBe(parse(sock.position).at - 1);
    } finally {
      hub.inventory.query = original;
    }
  });
});

describe('LiveBus positions', () => {
  const inv = (cluster: string): LiveMessage => ({ type: 'inventory', cluster, upserts: [], deletes: [] });

  it("counts the inventory messages it delivers per cluster, another replica's too, under an id of its own", () => {
    const bus = new LiveBus();
    const other = new LiveBus();
    expect(bus.id).not.toBe(other.id);
    expect(bus.position('c1')).toBe(`${bus.id}:0`);
    bus.publish(inv('c1'));
    // A message another replica published (peering delivers it here only).
    bus.deliver(inv('c1'));
    bus.deliver(inv('c2'));
    // Timeline, command and cluster messages change no inventory read: no position.
    bus.publish({ type: 'command', cluster: 'c1', command: {} as never });
    expect(bus.position('c1')).toBe(`${bus.id}:2`);
    expect(bus.position('c2')).toBe(`${bus.id}:1`);
    expect(other.position('c1')).toBe(`${other.id}:0`);
  });
});
