// Snapshots streamed while a kind is listed (snapshot-streams.ts), wired as the
// agent wires them (streamedInventory): the real inventory cache and outbox, a link that records
// what the hub would receive. The first sync's lists start before the link is
// up; they must still reach the hub while they are listed, not only at the end.
import { describe, expect, it } from 'vitest';
import { AgentMessage, SNAPSHOT_CHUNK, type InventoryItem } from '@wheelhouse/protocol';
import { Outbox } from '../src/outbox.js';
import { streamedInventory } from '../src/snapshot-streams.js';
import type { KubeObject } from '../src/projections.js';

const cm = (i: number): KubeObject => ({
  metadata: { name: `cm-${i}`, namespace: 'shop', uid: `uid-${i}`, resourceVersion: '1' },
});
const range = (from: number, to: number): KubeObject[] => Array.from({ length: to - from }, (_, i) => cm(from + i));

function setup() {
  const link = { connected: false, generation: 0, sent: [] as AgentMessage[] };
  const outbox = new Outbox(
    {
      connected: () => link.connected,
      generation: () => link.generation,
      bufferedAmount: () => 0,
      send: (m) => link.connected && link.sent.push(m) > 0,
      sendText: (json) => link.connected && link.sent.push(AgentMessage.parse(JSON.parse(json))) > 0,
    },
    { flushMs: 1000, maxBatch: 500, maxTimelineBuffer: 100, highWaterBytes: 1 << 20 },
  );
  const { cache, onConnected } = streamedInventory(outbox, () => link.connected);
  /** The link (re)connects, as HubLink's 'connected' does in the agent. */
  const connect = (): void => {
    link.connected = true;
    link.generation++;
    onConnected();
  };
  const snapshots = () => link.sent.splice(0).flatMap((m) => (m.type === 'inventory.snapshot' ? [m] : []));
  return { link, cache, connect, snapshots };
}

const names = (items: InventoryItem[]) => items.map((i) => i.name);

describe('snapshots streamed while a kind is listed', () => {
  it('a list that began before the link connected is streamed from the connect on: the pages so far, then the rest', () => {
    const { cache, connect, snapshots } = setup();
    cache.beginList('ConfigMap'); // the first sync: the watchers start before the hub link is up
    cache.addListPage('ConfigMap', range(0, 1500));
    expect(snapshots()).toEqual([]);
    connect();
    // Whole chunks go out at once, while the list goes on.
    const early = snapshots();
    expect(early.map((m) => [m.items.length, m.last])).toEqual([[SNAPSHOT_CHUNK, false]]);
    cache.addListPage('ConfigMap', range(1500, 2600));
    const during = snapshots();
    expect(during.map((m) => [m.items.length, m.last])).toEqual([[SNAPSHOT_CHUNK, false]]);
    cache.endList('ConfigMap');
    const end = snapshots();
    expect(end.map((m) => [m.items.length, m.last])).toEqual([[600, true]]);
    // One snapshot with every item once, in list order.
    const all = [...early, ...during, ...end];
    expect(new Set(all.map((m) => m.snapshotId)).size).toBe(1);
    expect(all.flatMap((m) => names(m.items))).toEqual(range(0, 2600).map((o) => o.metadata?.name));
  });

  it('a reconnect in the middle of a list streams it again on the new connection, from its first item', () => {
    const { link, cache, connect, snapshots } = setup();
    connect();
    cache.beginList('ConfigMap');
    cache.addListPage('ConfigMap', range(0, 1200));
    const first = snapshots();
    expect(first.map((m) => m.items.length)).toEqual([SNAPSHOT_CHUNK]);
    link.connected = false; // the hub may have missed chunks of the first stream
    cache.addListPage('ConfigMap', range(1200, 1400));
    connect();
    cache.endList('ConfigMap');
    const again = snapshots();
    expect(new Set(again.map((m) => m.snapshotId)).size).toBe(1);
    expect(again[0]?.snapshotId).not.toBe(first[0]?.snapshotId);
    expect(again.at(-1)?.last).toBe(true);
    expect(again.flatMap((m) => names(m.items))).toEqual(range(0, 1400).map((o) => o.metadata?.name));
  });

  it('on connect, kinds already listed go whole and a kind being re-listed only as its stream', () => {
    const { link, cache, connect, snapshots } = setup();
    cache.onList('Namespace', [{ metadata: { name: 'shop', uid: 'ns-shop', resourceVersion: '1' } }]);
    cache.onList('ConfigMap', range(0, 3));
    cache.beginList('ConfigMap'); // a re-list (410 Gone) in progress
    cache.addListPage('ConfigMap', range(0, 2));
    connect();
    cache.endList('ConfigMap');
    const sent = snapshots();
    expect(sent.map((m) => [m.kind, names(m.items), m.last])).toEqual([
      ['Namespace', ['shop'], true],
      ['ConfigMap', ['cm-0', 'cm-1'], true],
    ]);
    expect(link.sent).toEqual([]);
  });
});
