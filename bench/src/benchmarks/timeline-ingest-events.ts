// The events both timeline-ingest benchmarks write: pod phase changes as the
// agent sends them. Each id begins with its pod's uid, as the agent's do
// (`pod-phase:<uid>:<to>:<resourceVersion>`, agent/src/timeline/events.ts):
// random uids are why real ids arrive in no order, which sequential ids
// ("bench:1:2") would hide from any index keyed by id.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { TimelineEventInput } from '@wheelhouse/protocol';

export interface IngestSizes {
  /** Events per run (default 10,000). */
  events?: number;
  /** Events per agent batch (default 500, the agent's). */
  batch?: number;
  /** Agent links sending at once (timeline-ingest: default 8). */
  links?: number;
  /** Rows per transaction of the hub's timeline writer thread (timeline-ingest: default the hub's). */
  writerRows?: number;
  /** timeline-ingest: no writer thread, every message in the group commit on the hub's connection (the path before it). */
  noWriter?: boolean;
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

/**
 * The bare baseline: one prepared INSERT of the events' rows, a transaction
 * per call. Written here, not taken from the hub's TimelineStore, so the
 * floor never moves with the code it measures.
 */
export function bareSqliteInsert(raw: BetterSqlite3.Database, cluster = 'bench'): (rows: TimelineEventInput[]) => void {
  const insert = raw.prepare(
    'INSERT OR IGNORE INTO timeline_events (id, cluster_id, time, type, severity, kind, namespace, name, owner_kind, owner_name, summary, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
  );
  return raw.transaction((rows: TimelineEventInput[]) => {
    for (const e of rows) {
      insert.run(
        e.id,
        cluster,
        e.time,
        e.type,
        e.severity,
        e.kind,
        e.namespace,
        e.name,
        e.owner?.kind ?? null,
        e.owner?.name ?? null,
        e.summary,
        JSON.stringify(e.data),
      );
    }
  });
}
