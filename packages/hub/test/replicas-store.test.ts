// Replicas sharing one PostgreSQL store, in process: the live feed published
// on one replica reaches the other's subscribers (also past NOTIFY's 8000-byte
// payload limit, multi-byte text intact); a link whose holder died is marked
// disconnected by the leader's sweep; start-up cleanup leaves a live sibling's
// shells and links alone and closes a dead replica's. Read from the store's side.
import { afterAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { freePort } from '@wheelhouse/test-cluster/processes';
import { chunkText } from '../src/peering/notify-channel.js';
import type { LiveMessage } from '../src/live/live-bus.js';
import { createHub, type Hub } from '../src/server.js';
import { newPostgresStore } from './support/store-factories.js';

const until = async <T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('chunkText', () => {
  it('cuts at most maxBytes of UTF-8 per piece, never inside a character, and joins back', () => {
    const text = 'aé€😀'.repeat(5000);
    const pieces = chunkText(text, 7800);
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(7800);
    expect(pieces.join('')).toBe(text);
    expect(chunkText('short')).toEqual(['short']);
  });
});

describe('replicas on one PostgreSQL store (in process)', { timeout: 30_000 }, () => {
  const hubs: Hub[] = [];
  afterAll(async () => {
    for (const h of hubs) await h.close().catch(() => undefined);
  });
  const start = async (store: Awaited<ReturnType<typeof newPostgresStore>>): Promise<Hub> => {
    const h = await createHub({
      logger: false,
      webRoot: false,
      ...store,
      sweepMs: 100,
      leaderCheckMs: 100,
      replica: { heartbeatMs: 100, staleMs: 500 },
    });
    hubs.push(h);
    return h;
  };

  it('a live message published on one replica reaches the subscribers of another, chunked when large', async () => {
    const store = await newPostgresStore();
    const a = await start(store);
    const b = await start(store);
    const got: LiveMessage[] = [];
    b.live.subscribe((m) => got.push(m));
    const item = (i: number): InventoryItem =>
      ({
        kind: 'ConfigMap',
        uid: `u${i}`,
        namespace: 'ns',
        name: `cm-${i}-ünïcødé-😀`,
        labels: {},
        summary: {},
      }) as unknown as InventoryItem;
    const small: LiveMessage = { type: 'inventory', cluster: 'c1', upserts: [item(0)], deletes: [] };
    const large: LiveMessage = {
      type: 'inventory',
      cluster: 'c1',
      upserts: Array.from({ length: 400 }, (_, i) => item(i)),
      deletes: [],
    };
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(20_000);
    a.live.publish(small);
    a.live.publish(large);
    await until('both messages on replica b', () => (got.length >= 2 ? true : undefined));
    expect(got).toEqual([small, large]);
  });

  it('agent-gone: a link held by a replica that stopped beating is marked disconnected by the leader', async () => {
    const store = await newPostgresStore();
    const a = await start(store);
    await a.clusters.create('c2', 'test');
    // A sibling that held c2's link and then died: its heartbeat is a minute old.
    const now = Date.now();
    await a.db
      .insertInto('hub_replicas')
      .values({ id: 'dead-one', peer_url: null, started_at: now - 120_000, heartbeat_at: now - 60_000 })
      .execute();
    await a.db
      .insertInto('agent_links')
      .values({ cluster_id: 'c2', replica_id: 'dead-one', connected_at: now })
      .execute();
    await a.db.updateTable('clusters').set({ connected: 1 }).where('id', '=', 'c2').execute();
    await until('c2 marked disconnected', async () =>
      (await a.clusters.get('c2'))?.connected === false ? true : undefined,
    );
    expect(await a.db.selectFrom('agent_links').selectAll().execute()).toEqual([]);
  });

  it("a replica started at a dead predecessor's address retires it: no holder, no tunnel to itself, disconnected", async () => {
    // issue 17: a hub killed and restarted on the same address while its heartbeat was still fresh read its
    // predecessor as the link's holder and tunnelled streams to itself (a node shell then got no answer).
    const store = await newPostgresStore();
    const a = await start(store);
    await a.clusters.create('c4', 'test');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const now = Date.now();
    await a.db
      .insertInto('hub_replicas')
      .values({ id: 'killed-one', peer_url: url, started_at: now - 60_000, heartbeat_at: now })
      .execute();
    await a.db
      .insertInto('agent_links')
      .values({ cluster_id: 'c4', replica_id: 'killed-one', connected_at: now })
      .execute();
    await a.db.updateTable('clusters').set({ connected: 1 }).where('id', '=', 'c4').execute();
    // Fresh for a minute by the heartbeat rule: only the shared address says the predecessor is dead.
    expect(await a.replicas.holderOf('c4')).toEqual({ replicaId: 'killed-one', peerUrl: url });

    const b = await createHub({
      logger: false,
      webRoot: false,
      ...store,
      sweepMs: 100,
      leaderCheckMs: 100,
      replica: { heartbeatMs: 100, staleMs: 60_000, peerUrl: url, peerSecret: 'shared' },
    });
    hubs.push(b);
    await b.app.listen({ host: '127.0.0.1', port });
    expect(await b.replicas.holderOf('c4')).toBeNull();
    expect(await b.link.reach('c4')).toBe(false);
    await until('c4 marked disconnected', async () =>
      (await b.clusters.get('c4'))?.connected === false ? true : undefined,
    );
  });

  it("start-up cleanup leaves a live sibling's link and shell alone, and a dead replica's shell is closed", async () => {
    const store = await newPostgresStore();
    const a = await start(store);
    await a.clusters.create('c3', 'test');
    const now = Date.now();
    const session = (id: string, replica: string) => ({
      id,
      cluster_id: 'c3',
      namespace: 'ns',
      pod: 'p',
      container: 'c',
      command: '["sh"]',
      username: 'alice',
      kube_user: null,
      client_address: '127.0.0.1',
      started_at: now,
      ended_at: null,
      end_reason: null,
      exit_code: null,
      recorded: 0,
      input_captured: 0,
      recording_bytes: 0,
      recording_truncated: 0,
      replica_id: replica,
    });
    // a holds c3's link and relays a shell; a dead replica left another shell open.
    await a.db
      .insertInto('agent_links')
      .values({ cluster_id: 'c3', replica_id: a.replicas.id, connected_at: now })
      .execute();
    await a.db.updateTable('clusters').set({ connected: 1 }).where('id', '=', 'c3').execute();
    await a.db.insertInto('shell_sessions').values(session('s-live', a.replicas.id)).execute();
    await a.db.insertInto('shell_sessions').values(session('s-dead', 'gone-replica')).execute();

    const b = await start(store);
    const ended = async (id: string) =>
      (await b.db
        .selectFrom('shell_sessions')
        .select(['ended_at', 'end_reason'])
        .where('id', '=', id)
        .executeTakeFirst()) ?? null;
    expect(await ended('s-dead')).toMatchObject({ end_reason: 'agent-lost' });
    // Several sweeps later a's shell and link are still there: its heartbeat is fresh.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ended('s-live')).toEqual({ ended_at: null, end_reason: null });
    expect((await b.clusters.get('c3'))?.connected).toBe(true);
    expect(await b.db.selectFrom('agent_links').select('replica_id').execute()).toEqual([
      { replica_id: a.replicas.id },
    ]);
  });
});
