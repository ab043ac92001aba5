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
    this.timer = null;
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

  /** Sends a full snapshot of a kind (in chunks) ahead of anything queued for it. */
  snapshot(kind: ResourceKind, items: InventoryItem[], snapshotId: string): boolean {
    for (const it of items) this.upserts.delete(it.uid);
    for (const [uid, d] of this.deletes) if (d.kind === kind) this.deletes.delete(uid);
    const chunks = batchesOf(items, SNAPSHOT_CHUNK);
    if (chunks.length === 0) chunks.push([]); // an empty kind is one empty last chunk, so the hub clears it
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      if (!this.sender.send({ type: 'inventory.snapshot', kind, snapshotId, items: chunk, last })) return false;
    }
    return true;
  }

  flush(): void {
    if (!this.sender.connected()) {
      // Snapshots on reconnect carry the current state of every object.
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
