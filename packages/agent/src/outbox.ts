// What the agent owes the hub, batched and bounded. Inventory changes are
// coalesced per object (the latest state wins), so their memory is bounded by
// the inventory itself; while the link is down they are dropped, because the
// snapshots sent on reconnect carry them. Timeline events and command updates
// are kept (bounded; the oldest timeline events go first) and sent when the
// link is back.
import {
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
    for (let i = 0; i < items.length || i === 0; i += SNAPSHOT_CHUNK) {
      const chunk = items.slice(i, i + SNAPSHOT_CHUNK);
      const last = i + SNAPSHOT_CHUNK >= items.length;
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
      for (let i = 0; i < Math.max(upserts.length, deletes.length); i += this.opts.maxBatch) {
        this.sender.send({
          type: 'inventory.changes',
          upserts: upserts.slice(i, i + this.opts.maxBatch),
          deletes: deletes.slice(i, i + this.opts.maxBatch),
        });
      }
    }
    while (this.timelineQueue.length) {
      const batch = this.timelineQueue.slice(0, this.opts.maxBatch);
      if (!this.sender.send({ type: 'timeline', events: batch })) return;
      this.timelineQueue.splice(0, batch.length);
    }
  }
}
