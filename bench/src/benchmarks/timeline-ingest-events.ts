// The events both timeline-ingest benchmarks write: pod phase changes as the
// agent sends them. Each id begins with its pod's uid, as the agent's do
// (`pod-phase:<uid>:<to>:<resourceVersion>`, agent/src/timeline/events.ts):
// random uids are why real ids arrive in no order, which sequential ids
// ("bench:1:2") would hide from any index keyed by id.
import { randomUUID } from 'node:crypto';
import type { TimelineEventInput } from '@wheelhouse/protocol';

export interface IngestSizes {
  /** Events per run (default 10,000). */
  events?: number;
  /** Events per agent batch (default 500, the agent's). */
  batch?: number;
}

/** Run `run`'s `count` events: pods spread over 50 namespaces and 200 Deployments. */
export function ingestEvents(run: number, count: number): TimelineEventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `pod-phase:${randomUUID()}:Running/Ready:${run * count + i}`,
    time: Date.now(),
    type: 'pod-phase' as const,
    severity: 'info' as const,
    kind: 'Pod',
    namespace: `ns-${i % 50}`,
    name: `pod-${run}-${i}`,
    owner: { kind: 'Deployment', name: `app-${i % 200}` },
    summary: `Pod pod-${run}-${i}: Pending → Running/Ready`,
    data: { from: 'Pending', to: 'Running/Ready', phase: 'Running', ready: true, nodeName: `node-${i % 100}` },
  }));
}
