// Which kinds' snapshots go to the hub while they are still being listed.
// A kind's snapshot is streamed page by page (the hub stores the first pods
// while the agent reads the last); if the stream was cut (link down, a
// reconnect) the whole kind is sent at the end. A list that began before the
// link was up — the first sync: the watchers start before the hub answers —
// is streamed from the moment the link connects: the pages listed so far
// first, then the rest as they come.
import { randomUUID } from 'node:crypto';
import type { InventoryItem, ResourceKind } from '@wheelhouse/protocol';
import { InventoryCache } from './inventory-cache.js';
import type { Outbox } from './outbox.js';

/** What the streams need of the inventory cache: the kinds being listed and their items so far. */
export interface ListsInProgress {
  listsInProgress(): ReadonlyMap<ResourceKind, readonly InventoryItem[]>;
  listedKinds(): ResourceKind[];
  items(kind: ResourceKind): InventoryItem[];
}

export class SnapshotStreams {
  private readonly streaming = new Map<ResourceKind, string>();

  constructor(
    private readonly outbox: Pick<Outbox, 'openSnapshot' | 'snapshotPage' | 'closeSnapshot' | 'snapshot'>,
    private readonly connected: () => boolean,
    private readonly newId: () => string = randomUUID,
  ) {}

  listStart(kind: ResourceKind): void {
    this.open(kind, []);
  }

  listPage(kind: ResourceKind, items: readonly InventoryItem[]): void {
    const id = this.streaming.get(kind);
    if (id && !this.outbox.snapshotPage(kind, id, items)) this.streaming.delete(kind);
  }

  /** A list ended: its stream's last chunk, or (no stream, or a cut one) the whole kind. */
  listEnd(kind: ResourceKind, items: () => InventoryItem[]): void {
    const id = this.streaming.get(kind);
    this.streaming.delete(kind);
    if (!id || !this.outbox.closeSnapshot(kind, id)) this.whole(kind, items());
  }

  /**
   * The link (re)connected: kinds being listed are streamed from here (what
   * was listed so far, then their next pages); kinds listed before are sent
   * whole.
   */
  onConnected(cache: ListsInProgress): void {
    const inProgress = cache.listsInProgress();
    for (const [kind, soFar] of inProgress) this.open(kind, soFar);
    for (const kind of cache.listedKinds()) if (!inProgress.has(kind)) this.whole(kind, cache.items(kind));
  }

  private open(kind: ResourceKind, soFar: readonly InventoryItem[]): void {
    const id = this.newId();
    if (this.outbox.openSnapshot(kind, id) && this.outbox.snapshotPage(kind, id, soFar)) this.streaming.set(kind, id);
    else this.streaming.delete(kind);
  }

  private whole(kind: ResourceKind, items: InventoryItem[]): void {
    if (this.connected()) this.outbox.snapshot(kind, items, this.newId());
  }
}

/**
 * The agent's inventory cache wired to the outbox: changes and timeline
 * events go out as they happen, each kind's snapshot streamed while it is
 * listed. `onConnected` is for the link's 'connected' event.
 */
export function streamedInventory(
  outbox: Pick<
    Outbox,
    'upsert' | 'remove' | 'timeline' | 'openSnapshot' | 'snapshotPage' | 'closeSnapshot' | 'snapshot'
  >,
  connected: () => boolean,
): { cache: InventoryCache; onConnected: () => void } {
  const streams = new SnapshotStreams(outbox, connected);
  const cache: InventoryCache = new InventoryCache({
    upsert: (i) => outbox.upsert(i),
    remove: (i) => outbox.remove(i),
    timeline: (e) => outbox.timeline(e),
    listStart: (kind) => streams.listStart(kind),
    listPage: (kind, items) => streams.listPage(kind, items),
    relisted: (kind) => streams.listEnd(kind, () => cache.items(kind)),
  });
  return { cache, onConnected: () => streams.onConnected(cache) };
}
