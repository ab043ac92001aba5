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
  /**
   * Sends a message already serialized (the JSON text of an AgentMessage, as
   * send would write it): the outbox sizes its batches from the items' JSON,
   * so it builds the frame from those strings instead of serializing twice.
   */
  sendText(json: string): boolean;
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
 * message comes near the link's frame limit (MAX_FRAME_BYTES). Each batch is
 * the elements' JSON texts: sizing a batch is serializing it, done once.
 */
export function jsonBatchesOf(
  list: readonly unknown[],
  maxCount: number,
  maxBytes: number = LINK_BATCH_BYTES,
): string[][] {
  const out: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const x of list) {
    const json = JSON.stringify(x);
    if (batch.length > 0 && (batch.length >= maxCount || bytes + json.length + 1 > maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(json);
    bytes += json.length + 1;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/**
 * The JSON texts of the batch of list starting at from (at least one element
 * when there is one). An element that does not fit is serialized again for
 * the next batch: once per batch cut by size, rare (chunks are cut by count).
 */
function jsonBatch(list: readonly unknown[], from: number, maxCount: number, maxBytes: number): string[] {
  const batch: string[] = [];
  let bytes = 0;
  for (let i = from; i < list.length && batch.length < maxCount; i++) {
    const json = JSON.stringify(list[i]);
    if (batch.length > 0 && bytes + json.length + 1 > maxBytes) break;
    batch.push(json);
    bytes += json.length + 1;
  }
  return batch;
}

/**
 * The JSON text of a message whose array fields are made of pre-serialized
 * elements: byte for byte what JSON.stringify gives for the same message (the
 * head's keys first, then the arrays in order, then the tail's keys).
 */
export function jsonMessage(head: object, arrays: Record<string, readonly string[]>, tail?: object): string {
  let text = JSON.stringify(head).slice(0, -1);
  for (const [field, elements] of Object.entries(arrays)) text += `,${JSON.stringify(field)}:[${elements.join(',')}]`;
  return tail === undefined ? `${text}}` : `${text},${JSON.stringify(tail).slice(1)}`;
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
      // The chunk's items are serialized once: their JSON sizes the chunk and makes the frame.
      const chunk = jsonBatch(p.items, p.sent, SNAPSHOT_CHUNK, LINK_BATCH_BYTES);
      const last = !p.open && p.sent + chunk.length >= p.items.length;
      const head = { type: 'inventory.snapshot', kind: p.kind, snapshotId: p.snapshotId };
      if (!this.sender.sendText(jsonMessage(head, { items: chunk }, { last }))) {
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
      const up = jsonBatchesOf(upserts, this.opts.maxBatch);
      const down = jsonBatchesOf(deletes, this.opts.maxBatch);
      for (let i = 0; i < Math.max(up.length, down.length); i++) {
        const arrays = { upserts: up[i] ?? [], deletes: down[i] ?? [] };
        this.sender.sendText(jsonMessage({ type: 'inventory.changes' }, arrays));
      }
    }
    while (this.timelineQueue.length) {
      const batch = jsonBatch(this.timelineQueue, 0, this.opts.maxBatch, LINK_BATCH_BYTES);
      if (!this.sender.sendText(jsonMessage({ type: 'timeline' }, { events: batch }))) return;
      this.timelineQueue.splice(0, batch.length);
    }
  }
}
