// What the agent link does with insight messages: store them (opening and
// resolving, with their timeline events) and put the new events on the live feed.
import type { InsightInput } from '@wheelhouse/protocol';
import type { LiveBus } from '../live/live-bus.js';
import type { HubMetrics } from '../metrics.js';
import type { InsightStore } from './insight-store.js';

export interface InsightLinkHandler {
  snapshot(cluster: string, items: readonly InsightInput[]): Promise<void>;
  changes(cluster: string, opened: readonly InsightInput[], resolved: readonly string[]): Promise<void>;
}

export class InsightIngest implements InsightLinkHandler {
  constructor(private readonly deps: { store: InsightStore; live: LiveBus; metrics: HubMetrics }) {}

  async snapshot(cluster: string, items: readonly InsightInput[]): Promise<void> {
    this.publish(cluster, await this.deps.store.apply(cluster, items, [], true));
  }

  async changes(cluster: string, opened: readonly InsightInput[], resolved: readonly string[]): Promise<void> {
    this.publish(cluster, await this.deps.store.apply(cluster, opened, resolved, false));
  }

  private publish(cluster: string, events: Awaited<ReturnType<InsightStore['apply']>>): void {
    this.deps.metrics.timelineEvents.inc(events.length);
    for (const event of events) this.deps.live.publish({ type: 'timeline', cluster, event });
  }
}
