// Fan-out of what changes, to browsers' live sockets (and, with replicas, to the other replicas'). Each
// subscriber has a bounded queue: a slow browser loses messages (counted, and
// told to refetch) instead of making the hub buffer without bound.
import { randomBytes } from 'node:crypto';
import type { InventoryItem, TimelineEvent } from '@wheelhouse/protocol';
import type { ClusterView } from '../clusters/cluster-store.js';
import type { CommandView } from '../commands/command-view.js';

export type LiveMessage =
  | { type: 'timeline'; cluster: string; event: TimelineEvent }
  | {
      type: 'inventory';
      cluster: string;
      upserts: InventoryItem[];
      deletes: { kind: string; uid: string; namespace: string; name: string }[];
    }
  | { type: 'command'; cluster: string; command: CommandView }
  | { type: 'cluster'; cluster: string; view: ClusterView };

export type LiveListener = (msg: LiveMessage) => void;

/**
 * The feed's position in a cluster, as `<bus id>:<count>`: how many inventory
 * messages of that cluster this hub process's bus had delivered. Read answers carry the
 * position taken before their database read (the `x-wheelhouse-live` header),
 * the live socket's `subscribed` message the position at subscription, so a
 * browser can tell whether a change may have reached neither (docs/console.md).
 */
export const LIVE_POSITION_HEADER = 'x-wheelhouse-live';

export class LiveBus {
  /**
   * This process's bus. Positions of two buses (two replicas, or a hub restarted) cannot be
   * compared: a browser whose read and socket were answered by different ones asks again.
   */
  readonly id = randomBytes(6).toString('hex');
  /** Inventory messages delivered per cluster (local and other replicas'): the positions. */
  private readonly delivered = new Map<string, number>();
  private readonly listeners = new Set<LiveListener>();
  private remote: ((msg: LiveMessage) => void) | null = null;
  /** Depth of batch() calls under way, and what to run when the outermost ends. */
  private batching = 0;
  private readonly atBatchEnd = new Set<() => void>();

  /** Also hands every published message to the other replicas (peering/live-fanout.ts). */
  setRemote(send: (msg: LiveMessage) => void): void {
    this.remote = send;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  /**
   * Runs `publishAll` (which publishes several messages at once, e.g. what one
   * group commit stored) and then what subscribers asked to run at its end
   * (afterBatch). A live socket corks while a batch publishes and uncorks at its
   * end, so the batch's messages to it leave in one write (one syscall) instead
   * of one per message (issue 18: socket writes were the hub's largest cost
   * after the store in the fan-in profile).
   */
  batch(publishAll: () => void): void {
    this.batching++;
    try {
      publishAll();
    } finally {
      if (--this.batching === 0) {
        const pending = [...this.atBatchEnd];
        this.atBatchEnd.clear();
        for (const f of pending) f();
      }
    }
  }

  /** Runs `f` once when the batch under way ends; at once when none is. Returns whether it was deferred. */
  afterBatch(f: () => void): boolean {
    if (this.batching === 0) {
      f();
      return false;
    }
    this.atBatchEnd.add(f);
    return true;
  }

  get inBatch(): boolean {
    return this.batching > 0;
  }

  publish(msg: LiveMessage): void {
    this.deliver(msg);
    this.remote?.(msg);
  }

  /** To this replica's subscribers only (a message another replica published). */
  deliver(msg: LiveMessage): void {
    // Counted before any listener runs: a position taken from now on is past it. Inventory messages
    // only: the reads that carry positions are inventory reads, which nothing else changes.
    if (msg.type === 'inventory') this.delivered.set(msg.cluster, (this.delivered.get(msg.cluster) ?? 0) + 1);
    for (const l of this.listeners) l(msg);
  }

  /**
   * The cluster's position now (`<bus id>:<count>`). Taken before a read's database read: a change
   * not in that read's snapshot was committed after the read began, and is delivered (published, or
   * received from another replica) only after its commit, so at a higher position.
   */
  position(cluster: string): string {
    return `${this.id}:${this.delivered.get(cluster) ?? 0}`;
  }
}
