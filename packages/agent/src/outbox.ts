// What the agent owes the hub, batched and bounded. Inventory changes are
// coalesced per object (the latest state wins), so their memory is bounded by
// the inventory itself; while the link is down they are dropped, because the
// snapshots sent on reconnect carry them. Timeline events and command updates
// are kept (bounded; the oldest timeline events go first) and sent when the
// link is back.
import {
  LINK_BATCH_BYTES,
  SNAPSHOT_CHUNK,
  type AgentMessage,
  type InventoryItem,
  type ResourceKind,
  type TimelineEventInput,
} from '@wheelhouse/protocol';

export interface OutboxSender {
  connected(): boolean;
  /** Counts the link's connections: a snapshot streamed across a reconnect is incomplete at the hub. */
  generation?(): number;
  bufferedAmount(): number;
  send(msg: AgentMessage): boolean;
}

export interface OutboxOptions {
  flushMs: number;
  maxBatch: number;
  maxTimelineBuffer: number;
  /** Hold back while this many bytes are still queued on the socket. */
  highWaterBytes: number;
}

type CommandUpdate = Extract<AgentMessage, { type: 'command.update' }>;

/** A snapshot being sent: the items it carries and how many went out. */
interface PendingSnapshot {
  kind: ResourceKind;
  snapshotId: string;
  items: InventoryItem[];
  sent: number;
  /** Streamed while the list goes on: more pages may come, the last chunk waits for closeSnapshot. */
  open: boolean;
  /** The link's connection it started on. */
  generation: number;
}

/** While a snapshot waits for the socket to drain, look again this often. */
const SNAPSHOT_RETRY_MS = 5;

/**
 * Splits a list into batches of at most maxCount elements and about maxBytes
 * of JSON each (an element larger than maxBytes is a batch of its own), so no
 * message comes near the link's frame limit (MAX_FRAME_BYTES).
 */
export function batchesOf<T>(list: readonly T[], maxCount: number, maxBytes: number = LINK_BATCH_BYTES): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const x of list) {
    const size = JSON.stringify(x).length + 1;
    if (batch.length > 0 && (batch.length >= maxCount || bytes + size > maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(x);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

export class Outbox {
  private upserts = new Map<string, InventoryItem>();
  private deletes = new Map<string, { kind: ResourceKind; uid: string; namespace: string; name: string }>();
  private timelineQueue: TimelineEventInput[] = [];
  private updates: CommandUpdate[] = [];
  private snapshots: PendingSnapshot[] = [];
  private retry: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  droppedTimeline = 0;

  constructor(
    private readonly sender: OutboxSender,
    private readonly opts: OutboxOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.opts.flushMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.timer = this.retry = null;
  }

  get pendingTimeline(): number {
    return this.timelineQueue.length;
  }

  upsert(item: InventoryItem): void {
    this.deletes.delete(item.uid);
    this.upserts.set(item.uid, item);
    if (this.upserts.size >= this.opts.maxBatch) this.flush();
  }

  remove(item: InventoryItem): void {
    this.upserts.delete(item.uid);
    this.deletes.set(item.uid, { kind: item.kind, uid: item.uid, namespace: item.namespace, name: item.name });
  }

  timeline(events: TimelineEventInput[]): void {
    this.timelineQueue.push(...events);
    const excess = this.timelineQueue.length - this.opts.maxTimelineBuffer;
    if (excess > 0) {
      this.timelineQueue.splice(0, excess);
      this.droppedTimeline += excess;
    }
  }

  commandUpdate(u: CommandUpdate): void {
    this.updates.push(u);
    this.flush();
  }

  /**
   * Sends a full snapshot of a kind (in chunks) ahead of anything queued for
   * it. Chunks go out while the socket has less than highWaterBytes queued and
   * are serialized only then, so a kind of 100,000 pods is never all in the
   * socket's buffer at once; changes wait until every pending snapshot is out
   * (they are newer than the snapshot's items). False if the link is down.
   */
  snapshot(kind: ResourceKind, items: InventoryItem[], snapshotId: string): boolean {
    this.supersede(kind, items);
    this.snapshots.push({ kind, snapshotId, items, sent: 0, open: false, generation: this.generation() });
    return this.sendSnapshots();
  }

  /**
   * Starts a snapshot of a kind that is still being listed: its pages follow
   * (snapshotPage) and are sent as they come, so the hub stores the first pods
   * while the agent still reads the last ones; closeSnapshot sends the last
   * chunk. False if the link is down (then send a whole snapshot at the end).
   */
  openSnapshot(kind: ResourceKind, snapshotId: string): boolean {
    if (!this.sender.connected()) return false;
    // Changes of the kind queued before are older than the list that starts now.
    for (const [uid, it] of this.upserts) if (it.kind === kind) this.upserts.delete(uid);
    this.supersede(kind, []);
    this.snapshots.push({ kind, snapshotId, items: [], sent: 0, open: true, generation: this.generation() });
    return true;
  }

  /** A page of an open snapshot. False if that snapshot was dropped (the link went down or reconnected). */
  snapshotPage(kind: ResourceKind, snapshotId: string, items: readonly InventoryItem[]): boolean {
    const p = this.openOne(kind, snapshotId);
    if (!p) return false;
    for (const it of items) {
      this.upserts.delete(it.uid);
      p.items.push(it);
    }
    this.sendSnapshots();
    return this.openOne(kind, snapshotId) !== undefined;
  }

  /**
   * Ends an open snapshot: its last chunk goes out after its pages. False if
   * the snapshot was dropped on the way — the hub did not get every page, so
   * the caller sends the whole kind again with snapshot().
   */
  closeSnapshot(kind: ResourceKind, snapshotId: string): boolean {
    const p = this.openOne(kind, snapshotId);
    if (!p) return false;
    p.open = false;
    this.sendSnapshots();
    return true;
  }

  private openOne(kind: ResourceKind, snapshotId: string): PendingSnapshot | undefined {
    return this.snapshots.find((p) => p.open && p.kind === kind && p.snapshotId === snapshotId);
  }

  private generation(): number {
    return this.sender.generation?.() ?? 0;
  }

  /** A newer snapshot of the kind supersedes one not finished (the hub never deletes on an unfinished one). */
  private supersede(kind: ResourceKind, items: readonly InventoryItem[]): void {
    for (const it of items) this.upserts.delete(it.uid);
    for (const [uid, d] of this.deletes) if (d.kind === kind) this.deletes.delete(uid);
    this.snapshots = this.snapshots.filter((p) => p.kind !== kind);
  }

  /**
   * Whether every snapshot went out (an open one: every page it has so far);
   * otherwise retries soon (socket full) or drops them (link down). Snapshots
   * go in order; an open one waiting for pages does not hold back the others.
   */
  private sendSnapshots(): boolean {
    let i = 0;
    while (i < this.snapshots.length) {
      const p = this.snapshots[i];
      if (!p) break;
      if (!this.sender.connected()) {
        this.snapshots = []; // reconnecting sends fresh snapshots of every kind
        return false;
      }
      if (p.generation !== this.generation()) {
        // Begun on an earlier connection: the hub may have missed chunks. A stream cut so is sent whole at its end.
        const now = this.generation();
        this.snapshots = this.snapshots.filter((q) => q.generation === now);
        i = 0;
        continue;
      }
      // An open snapshot sends whole chunks only (pages can be a few objects): one hub transaction per chunk.
      if (p.open && p.items.length - p.sent < SNAPSHOT_CHUNK) {
        // What went out is dropped from the queue (the cache holds every item).
        if (p.sent > 0) p.items = p.items.slice(p.sent);
        p.sent = 0;
        i++;
        continue;
      }
      if (this.sender.bufferedAmount() > this.opts.highWaterBytes) {
        this.retry ??= setTimeout(() => {
          this.retry = null;
          if (this.sendSnapshots()) this.flush();
        }, SNAPSHOT_RETRY_MS);
        return false;
      }
      const [chunk = []] = batchesOf(p.items.slice(p.sent, p.sent + SNAPSHOT_CHUNK), SNAPSHOT_CHUNK);
      const last = !p.open && p.sent + chunk.length >= p.items.length;
      const msg = { type: 'inventory.snapshot', kind: p.kind, snapshotId: p.snapshotId, items: chunk, last } as const;
      if (!this.sender.send(msg)) {
        this.snapshots = [];
        return false;
      }
      p.sent += chunk.length;
      if (last) this.snapshots.splice(i, 1);
    }
    return true;
  }

  flush(): void {
    if (!this.sender.connected()) {
      // Snapshots on reconnect carry the current state of every object.
      this.snapshots = [];
      this.upserts.clear();
      this.deletes.clear();
      return;
    }
    if (this.sender.bufferedAmount() > this.opts.highWaterBytes) return;
    while (this.updates.length) {
      const u = this.updates[0];
      if (!u || !this.sender.send(u)) return;
      this.updates.shift();
    }
    if (!this.sendSnapshots()) return;
    if (this.upserts.size || this.deletes.size) {
      const upserts = [...this.upserts.values()];
      const deletes = [...this.deletes.values()];
      this.upserts.clear();
      this.deletes.clear();
      const up = batchesOf(upserts, this.opts.maxBatch);
      const down = batchesOf(deletes, this.opts.maxBatch);
      for (let i = 0; i < Math.max(up.length, down.length); i++) {
        this.sender.send({ type: 'inventory.changes', upserts: up[i] ?? [], deletes: down[i] ?? [] });
      }
    }
    while (this.timelineQueue.length) {
      const [batch = []] = batchesOf(this.timelineQueue.slice(0, this.opts.maxBatch), this.opts.maxBatch);
      if (!this.sender.send({ type: 'timeline', events: batch })) return;
      this.timelineQueue.splice(0, batch.length);
    }
  }
}
