// In-process fan-out of what changes, to browsers' live sockets. Each
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

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(msg: LiveMessage): void {
    for (const l of this.listeners) l(msg);
  }
}
