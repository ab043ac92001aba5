// What the agent link does with insight messages: store them (opening and
// resolving, with their timeline events) and put the new events on the live feed.
import type { InsightInput, TimelineEvent } from '@wheelhouse/protocol';
import type { Transaction } from 'kysely';
import type { LiveBus } from '../live/live-bus.js';
import type { HubMetrics } from '../metrics.js';
import type { Database } from '../store/schema.js';
import type { InsightStore } from './insight-store.js';

/**
 * Within the agent links' group commit: each stores within `trx` and returns
 * what to do once it committed (publish the new timeline events).
 */
export interface InsightLinkHandler {
  snapshot(trx: Transaction<Database>, cluster: string, items: readonly InsightInput[]): Promise<() => void>;
  changes(
    trx: Transaction<Database>,
    cluster: string,
    opened: readonly InsightInput[],
    resolved: readonly string[],
  ): Promise<() => void>;
}

export class InsightIngest implements InsightLinkHandler {
  constructor(private readonly deps: { store: InsightStore; live: LiveBus; metrics: HubMetrics }) {}

  async snapshot(trx: Transaction<Database>, cluster: string, items: readonly InsightInput[]): Promise<() => void> {
    const events = await this.deps.store.applyIn(trx, cluster, items, [], true);
    return () => this.publish(cluster, events);
  }

  async changes(
    trx: Transaction<Database>,
    cluster: string,
    opened: readonly InsightInput[],
    resolved: readonly string[],
  ): Promise<() => void> {
    const events = await this.deps.store.applyIn(trx, cluster, opened, resolved, false);
    return () => this.publish(cluster, events);
  }

  private publish(cluster: string, events: readonly TimelineEvent[]): void {
    this.deps.metrics.timelineEvents.inc(events.length);
    for (const event of events) this.deps.live.publish({ type: 'timeline', cluster, event });
  }
}
