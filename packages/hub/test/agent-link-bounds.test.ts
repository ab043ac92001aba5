// What one agent can make the hub hold is bounded. The hub handles store-writing
// messages one at a time; while more than pauseAboveBytes wait, it stops
// reading the link (TCP pushes back on the agent), and an agent whose backlog
// still passes maxQueuedBytes is disconnected with the reason. Kinds outside
// the inventory's list are refused. A real hub on loopback, raw agents with
// real cluster tokens. SQLite answers synchronously, so a backlog builds only
// while the store is slow: the backpressure test gives each snapshot write
// 20 ms of latency (what a remote PostgreSQL or a busy disk costs).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '@wheelhouse/protocol';
import { createHub, type Hub, type HubOptions } from '../src/server.js';
import { configMapItem, rawAgent } from './support/raw-agent.js';

const MiB = 1024 * 1024;

async function listeningHub(opts: HubOptions): Promise<Hub> {
  const hub = await createHub({ logger: false, webRoot: false, ...opts });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  return hub;
}

async function tokenOf(hub: Hub, name: string): Promise<string> {
  const c = await hub.clusters.create(name, 'test');
  if (!c) throw new Error(`cluster ${name} exists`);
  return c.token;
}

const count = async (hub: Hub, cluster: string): Promise<number> =>
  Number(
    (
      await hub.db
        .selectFrom('resources')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('cluster_id', '=', cluster)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** n snapshot chunks of `perChunk` ConfigMaps, ~`perChunk` × 1 KiB each. */
function flood(agent: Awaited<ReturnType<typeof rawAgent>>, chunks: number, perChunk: number): void {
  for (let c = 0; c < chunks; c++) {
    const items = Array.from({ length: perChunk }, (_, i) => configMapItem('flood', `cm-${c}-${i}`, 8, 120));
    agent.send({ type: 'inventory.snapshot', kind: 'ConfigMap', snapshotId: 's1', items, last: c === chunks - 1 });
  }
}

describe('agent link bounds', () => {
  let hub: Hub;
  afterEach(() => hub.close());

  describe('backpressure', () => {
    beforeEach(async () => {
      hub = await listeningHub({ agentLink: { pauseAboveBytes: 1 * MiB, maxQueuedBytes: 16 * MiB } });
    });

    it('stops reading a flooding agent instead of queueing: ~40 MB sent, at most ~1 MiB + one frame held, every item stored', async () => {
      const write = hub.inventory.applySnapshotChunk.bind(hub.inventory);
      hub.inventory.applySnapshotChunk = async (...args) => {
        await new Promise((r) => setTimeout(r, 20));
        return write(...args);
      };
      const agent = await rawAgent(hub, await tokenOf(hub, 'busy'));
      const chunks = 40;
      const perChunk = 1000;
      flood(agent, chunks, perChunk);
      const frame = JSON.stringify({ items: [configMapItem('flood', 'cm-0-0', 8, 120)] }).length * perChunk;
      await expect.poll(() => count(hub, 'busy'), { timeout: 90_000, interval: 200 }).toBe(chunks * perChunk);
      const { peakQueuedBytes } = hub.link.stats();
      // Pausing at 1 MiB holds at most what was already read from the socket: a frame or two beyond the bound.
      expect(peakQueuedBytes).toBeLessThan(1 * MiB + 3 * frame);
      expect(chunks * frame).toBeGreaterThan(10 * peakQueuedBytes);
      expect(hub.link.isConnected('busy')).toBe(true);
    }, 120_000);
  });

  describe('hard bound', () => {
    beforeEach(async () => {
      // No pause below the hard bound: a burst meets it.
      hub = await listeningHub({ agentLink: { pauseAboveBytes: 64 * MiB, maxQueuedBytes: 16 * 1024 } });
    });

    it('closes an agent whose backlog passes maxQueuedBytes, with the reason; another cluster’s link and data stay', async () => {
      const calm = await rawAgent(hub, await tokenOf(hub, 'calm'));
      calm.send({
        type: 'inventory.snapshot',
        kind: 'ConfigMap',
        snapshotId: 'c1',
        items: [configMapItem('calm', 'settings')],
        last: true,
      });
      await expect.poll(() => count(hub, 'calm')).toBe(1);
      const agent = await rawAgent(hub, await tokenOf(hub, 'noisy'));
      // A burst of small messages: one socket read delivers hundreds at once, faster than they are handled.
      for (let i = 0; i < 20_000; i++) agent.send({ type: 'ping', t: i });
      const closed = await agent.closed;
      expect(closed.code).toBe(CLOSE_CODES.overloaded);
      expect(closed.reason).toContain(`more than ${16 * 1024} bytes waiting`);
      expect(hub.link.stats().peakQueuedBytes).toBeLessThanOrEqual(16 * 1024);
      expect(hub.link.isConnected('calm')).toBe(true);
      expect(await count(hub, 'calm')).toBe(1);
      const refused = (await hub.metrics.agentRefused.get()).values.find((v) => v.labels.reason === 'overloaded');
      expect(refused?.value).toBe(1);
    }, 60_000);
  });

  describe('kinds', () => {
    beforeEach(async () => {
      hub = await listeningHub({});
    });

    it.each([
      ['an invented kind', { kind: 'Invented', items: [] }],
      ['Secret', { kind: 'Secret', items: [] }],
      ['items of another kind than the snapshot', { kind: 'Pod', items: [configMapItem('a', 'b')] }],
    ])('refuses a snapshot with %s: protocol error, nothing stored', async (_what, body) => {
      const agent = await rawAgent(hub, await tokenOf(hub, 'kinds'));
      agent.send({ type: 'inventory.snapshot', snapshotId: 'x', last: true, ...body });
      const closed = await agent.closed;
      expect(closed.code).toBe(CLOSE_CODES.protocolError);
      expect(closed.reason).toMatch(/^invalid message: (kind|items)/);
      expect(await count(hub, 'kinds')).toBe(0);
    });

    it('refuses a deletion naming an invented kind', async () => {
      const agent = await rawAgent(hub, await tokenOf(hub, 'kinds'));
      agent.send({
        type: 'inventory.changes',
        upserts: [],
        deletes: [{ kind: 'Nope', uid: 'u', namespace: '', name: 'n' }],
      });
      expect((await agent.closed).code).toBe(CLOSE_CODES.protocolError);
    });
  });
});
