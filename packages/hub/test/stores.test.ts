// Each store module on both dialects (SQLite and a real PostgreSQL server):
// the same calls give the same answers — ids and times come back as numbers,
// conflicts are ignored the same way, keyset pages walk the same order.
import type { InventoryItem, TimelineEventInput } from '@wheelhouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../src/clusters/cluster-store.js';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import { ShellStore } from '../src/shell/shell-store.js';
import type { HubDb } from '../src/store/db.js';
import { TimelineStore } from '../src/timeline/timeline-store.js';
import { storeFactories } from './support/store-factories.js';

const item = (name: string, uid: string, namespace = 'ns'): InventoryItem =>
  ({
    kind: 'ConfigMap',
    namespace,
    name,
    uid,
    resourceVersion: '1',
    createdAt: 0,
    labels: {},
    ownerRefs: [],
    summary: { keys: 0 },
  }) as unknown as InventoryItem;

const event = (id: string, time: number, name = 'web', owner?: string): TimelineEventInput =>
  ({
    id,
    time,
    type: 'k8s.event',
    severity: 'info',
    kind: 'Pod',
    namespace: 'ns',
    name,
    ...(owner ? { owner: { kind: 'Deployment', name: owner } } : {}),
    summary: `event ${id}`,
    data: { reason: 'Started', message: id, count: 1 },
  }) as unknown as TimelineEventInput;

describe.each(storeFactories)('stores ($name)', (store) => {
  let db: HubDb;
  beforeAll(async () => {
    db = await store.open();
  });
  afterAll(() => db.destroy());

  it('clusters: create once, a second create is refused, tokens authenticate until revoked', async () => {
    const clusters = new ClusterStore(db);
    const created = await clusters.create('prod', 'alice');
    expect(created?.cluster).toMatchObject({ name: 'prod' });
    expect(await clusters.create('prod', 'bob')).toBeNull();
    expect(await clusters.authenticateAgent(created?.token ?? '')).toBe('prod');
    expect(await clusters.revokeToken('prod')).toBe(true);
    expect(await clusters.authenticateAgent(created?.token ?? '')).toBeNull();
    const row = await db.selectFrom('clusters').selectAll().where('id', '=', 'prod').executeTakeFirstOrThrow();
    expect(typeof row.created_at).toBe('number');
    expect(typeof row.token_revoked_at).toBe('number');
  });

  it('timeline: ids stored once, seq numbers ascending, owner filter and keyset pages', async () => {
    const timeline = new TimelineStore(db);
    const first = await timeline.insert('prod', [event('a', 1000), event('b', 2000, 'web-1', 'web')]);
    expect(first.map((e) => e.id)).toEqual(['a', 'b']);
    expect(first.every((e) => typeof e.seq === 'number' && typeof e.time === 'number')).toBe(true);
    // Re-sent after a reconnect: nothing new.
    const again = await timeline.insert('prod', [event('a', 1000), event('c', 3000)]);
    expect(again.map((e) => e.id)).toEqual(['c']);
    expect(again[0]?.seq).toBeGreaterThan(first[1]?.seq ?? Infinity);
    const owned = await timeline.query('prod', { kind: 'Deployment', name: 'web', limit: 10 });
    expect(owned.items.map((e) => e.id)).toEqual(['b']);
    const page1 = await timeline.query('prod', { limit: 2 });
    expect(page1.items.map((e) => e.id)).toEqual(['c', 'b']);
    const page2 = await timeline.query('prod', { limit: 2, cursor: page1.nextCursor ?? 0 });
    expect(page2.nextCursor).toBeNull();
    expect(page2.items.map((e) => [e.id, e.data])).toEqual([['a', { reason: 'Started', message: 'a', count: 1 }]]);
  });

  it('timeline: what an insert returns is what the store reads back, duplicates in and across batches stored once', async () => {
    await new ClusterStore(db).create('bulk', 'alice');
    const timeline = new TimelineStore(db);
    // Stored before, as a re-send brings it again: the same id on the same object (its time may differ).
    await timeline.insert('bulk', [event('e-10', 10, 'pod-10')]);
    // 600 rows (past the 250-row statements on PostgreSQL), some repeated in the batch, one stored before.
    const batch = Array.from({ length: 600 }, (_, i) => {
      const j = i % 7 === 6 ? i - 1 : i;
      return event(`e-${j}`, 1000 + i, `pod-${j}`, j % 2 ? `app-${j % 5}` : undefined);
    });
    const stored = await timeline.insert('bulk', batch);
    const expected = [...new Set(batch.map((e) => e.id))].filter((id) => id !== 'e-10');
    expect(stored.map((e) => e.id)).toEqual(expected);
    const seqs = stored.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const read = await timeline.query('bulk', { limit: 1000 });
    expect(read.items.slice(0, stored.length).reverse()).toEqual(stored);
    expect(read.items).toHaveLength(stored.length + 1);
    expect(await timeline.insert('bulk', batch)).toEqual([]);
  });

  it('timeline: a re-send with new times is stored once; one id on two objects is two events on SQLite, one on PostgreSQL', async () => {
    await new ClusterStore(db).create('keyed', 'alice');
    const timeline = new TimelineStore(db);
    // SQLite's dedupe key is (cluster, object, id); PostgreSQL's stays (cluster, id) until its index is swapped (migration 023).
    const both = store.name === 'sqlite';
    const first = await timeline.insert('keyed', [event('shared', 5, 'pod-a'), event('shared', 6, 'pod-b')]);
    expect(first.map((e) => [e.id, e.name, e.time])).toEqual([
      ['shared', 'pod-a', 5],
      ...(both ? [['shared', 'pod-b', 6]] : []),
    ]);
    expect(await timeline.insert('keyed', [event('shared', 7, 'pod-b'), event('shared', 8, 'pod-a')])).toEqual([]);
    const read = await timeline.query('keyed', { limit: 10 });
    expect(read.items.map((e) => [e.name, e.time])).toEqual([...(both ? [['pod-b', 6]] : []), ['pod-a', 5]]);
  });

  it('timeline: a batch that fails part-way stores none of its events', async () => {
    await new ClusterStore(db).create('atomic', 'alice');
    const timeline = new TimelineStore(db);
    const batch = Array.from({ length: 400 }, (_, i) => event(`a-${i}`, i));
    const broken = { ...batch[300], summary: null } as unknown as TimelineEventInput;
    await expect(timeline.insert('atomic', [...batch.slice(0, 300), broken, ...batch.slice(301)])).rejects.toThrow();
    expect((await timeline.query('atomic', { limit: 10 })).items).toEqual([]);
    expect(await timeline.insert('atomic', batch)).toHaveLength(400);
  });

  it('inventory: upserts, snapshot removes what it lacked, pages in byte order', async () => {
    const inventory = new InventoryStore(db);
    await inventory.applySnapshotChunk('prod', 'ConfigMap', 's1', [item('b', 'u2'), item('B', 'u3')], false);
    await inventory.applySnapshotChunk('prod', 'ConfigMap', 's1', [item('a', 'u1'), item('_', 'u4')], true);
    const gone = await inventory.applySnapshotChunk(
      'prod',
      'ConfigMap',
      's2',
      [item('a', 'u1'), item('b', 'u2'), item('B', 'u3')],
      true,
    );
    expect(gone.map((g) => g.uid)).toEqual(['u4']);
    await inventory.applyChanges('prod', [item('a2', 'u1')], [{ uid: 'u3' }]);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await inventory.query('prod', { limit: 1, ...(cursor ? { cursor } : {}) });
      names.push(...page.items.map((i) => i.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(names).toEqual(['a2', 'b']);
    expect(await inventory.getByUid('prod', 'u3')).toBeNull();
  });

  it('shell sessions: recording chunks in order, orphans closed as agent-lost', async () => {
    const shells = new ShellStore(db);
    await db.transaction().execute((trx) =>
      shells.insertStarted(trx, {
        id: 's-1',
        cluster: 'prod',
        namespace: 'ns',
        pod: 'web-1',
        container: 'app',
        command: ['sh'],
        user: 'alice',
        clientAddress: '127.0.0.1',
        startedAt: 5000,
        recorded: true,
        inputCaptured: false,
      }),
    );
    await shells.appendRecording('s-1', 0, 'héllo ', 6, false);
    await shells.appendRecording('s-1', 1, 'wörld', 12, true);
    expect(await shells.recording('s-1')).toBe('héllo wörld');
    expect(await shells.closeOrphans(9000)).toBe(1);
    expect(await shells.get('s-1')).toMatchObject({
      endedAt: 9000,
      durationMs: 4000,
      reason: 'agent-lost',
      recording: { available: true, bytes: 12, truncated: true, input: false },
    });
  });
});
