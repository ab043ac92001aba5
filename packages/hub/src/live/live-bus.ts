// Fan-out of what changes, to browsers' live sockets (and, with replicas, to the other replicas'). Each
// subscriber has a bounded queue: a slow browser loses messages (counted, and
// told to refetch) instead of making the hub buffer without bound.
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

export class LiveBus {
  private readonly listeners = new Set<LiveListener>();
  private remote: ((msg: LiveMessage) => void) | null = null;

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

  publish(msg: LiveMessage): void {
    this.deliver(msg);
    this.remote?.(msg);
  }

  /** To this replica's subscribers only (a message another replica published). */
  deliver(msg: LiveMessage): void {
    for (const l of this.listeners) l(msg);
  }
}
