// What one group commit publishes (ingest-batcher.ts → LiveBus.batch) leaves a
// browser's live socket in one write — one syscall — instead of one per live
// message (issue 18: the fan-in profile's largest cost after the store was
// `writev` to the browsers' sockets, one per message). A real hub on loopback,
// a raw agent with a real cluster token, a viewer's live socket; writes are
// counted on the hub's side of that socket (net.Socket's _write/_writev, what
// a Writable calls per write it hands to the OS).
import { Socket, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LiveBus, type LiveMessage } from '../src/live/live-bus.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, useFastPasswordHashing } from './support/identity.js';
import { rawAgent, type RawAgent } from './support/raw-agent.js';

useFastPasswordHashing();

const EVENTS = 20;

const event = (i: number) => ({
  id: `ev-batch-${i}`,
  time: Date.now(),
  type: 'created',
  severity: 'info',
  kind: 'ConfigMap',
  namespace: 'team-a',
  name: `cm-${i}`,
  summary: `ConfigMap cm-${i} created`,
  data: { images: null },
});

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Counts the writes the hub hands to the OS on its side of the connection from `clientPort`. */
function countWritesTo(clientPort: number): { writes: () => number; restore: () => void } {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };
  let n = 0;
  for (const key of ['_write', '_writev'] as const) {
    const fn = original[key];
    proto[key] = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === clientPort) n++;
      return fn.apply(this, args);
    };
  }
  return {
    writes: () => n,
    restore: () => {
      proto._write = original._write;
      proto._writev = original._writev;
    },
  };
}

describe('live socket writes per group commit', () => {
  let hub: Hub;
  let agent: RawAgent;
  let base = '';
  let token = '';

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const created = await hub.clusters.create('c1', 'test');
    token = (await addUser(hub, { username: 'viewer', bindings: [{ role: 'viewer', cluster: 'c1' }] })).token;
    agent = await rawAgent(hub, created?.token ?? '');
    await until('the link said hello', () => hub.link.isConnected('c1'));
  });
  afterAll(async () => {
    agent.ws.terminate();
    await hub.close();
  });

  it('sends the live messages of one commit to a socket in one write, in order, and later ones at once', async () => {
    const ws = new WebSocket(`${base}/api/v1/live?cluster=c1`, { headers: { authorization: `Bearer ${token}` } });
    const got: { type: string; event?: { id: string } }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { type: string; event?: { id: string } };
        if (m.type === 'subscribed') resolve();
        else got.push(m);
      });
      ws.once('error', reject);
    });
    const clientPort = (ws as unknown as { _socket: Socket })._socket.localPort ?? 0;
    const counter = countWritesTo(clientPort);
    try {
      // One agent message: one commit, whose after-commit publishes EVENTS live messages.
      agent.send({ type: 'timeline', events: Array.from({ length: EVENTS }, (_, i) => event(i)) });
      await until('every timeline event', () => got.length === EVENTS);
      expect(got.map((m) => m.event?.id)).toEqual(Array.from({ length: EVENTS }, (_, i) => `ev-batch-${i}`));
      expect(counter.writes()).toBe(1);
      // Not left corked: what is published outside a commit goes out by itself.
      const view = await hub.clusters.get('c1');
      if (!view) throw new Error('no cluster view');
      hub.live.publish({ type: 'cluster', cluster: 'c1', view });
      await until('the cluster message', () => got.length === EVENTS + 1);
      expect(got[EVENTS]?.type).toBe('cluster');
      expect(counter.writes()).toBe(2);
    } finally {
      counter.restore();
      ws.terminate();
    }
  });
});

describe('LiveBus.batch', () => {
  const msg = (cluster: string): LiveMessage => ({ type: 'inventory', cluster, upserts: [], deletes: [] });

  it('delivers at once and runs what waits for the batch end once, after the outermost batch', () => {
    const bus = new LiveBus();
    const log: string[] = [];
    bus.subscribe((m) => {
      log.push(`msg ${m.cluster}`);
      if (bus.afterBatch(() => log.push('flush'))) log.push('deferred');
    });
    bus.batch(() => {
      bus.publish(msg('a'));
      bus.batch(() => bus.publish(msg('b')));
      log.push('inner batch done');
    });
    expect(log).toEqual(['msg a', 'deferred', 'msg b', 'deferred', 'inner batch done', 'flush', 'flush']);
    log.length = 0;
    bus.publish(msg('c'));
    expect(log).toEqual(['msg c', 'flush']);
    expect(bus.inBatch).toBe(false);
  });

  it('still ends the batch when publishing throws', () => {
    const bus = new LiveBus();
    let flushed = 0;
    expect(() =>
      bus.batch(() => {
        bus.afterBatch(() => flushed++);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(flushed).toBe(1);
    expect(bus.inBatch).toBe(false);
  });
});
