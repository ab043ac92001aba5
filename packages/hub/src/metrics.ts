// Prometheus metrics of one hub instance (own registry, so tests can run several hubs).
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Whether an Authorization header carries the metrics token (constant time over sha256 digests). */
export function metricsTokenMatches(token: string, authorization: string | undefined): boolean {
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  if (!m?.[1]) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

export class HubMetrics {
  readonly registry = new Registry();
  readonly agentsConnected = new Gauge({
    name: 'wheelhouse_agents_connected',
    help: 'Agents connected now',
    registers: [this.registry],
  });
  readonly agentMessages = new Counter({
    name: 'wheelhouse_agent_messages_total',
    help: 'Messages received from agents, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly agentLinkQueuedBytes = new Gauge({
    name: 'wheelhouse_agent_link_queued_bytes',
    help: 'Bytes of agent messages received and not yet handled, over every link',
    registers: [this.registry],
  });
  readonly agentRefused = new Counter({
    name: 'wheelhouse_agent_messages_refused_total',
    help: 'Agent messages ignored because they reach beyond the agent (another cluster, a hub-owned event type), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly notifications = new Counter({
    name: 'wheelhouse_notifications_total',
    help: 'Webhook notifications by outcome: delivered, failed (after retries), suppressed (rate limit), dropped (queue full)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'wheelhouse_leader',
    help: 'Whether this hub process runs the background work (1) or another one sharing the store does (0)',
    registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: 'wheelhouse_retention_deleted_total',
    help: 'Timeline events and shell recordings removed by retention, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly retentionLongestBatch = new Gauge({
    name: 'wheelhouse_retention_longest_batch_seconds',
    help: 'The longest single retention batch (query or delete) of the last pass',
    registers: [this.registry],
  });
  readonly timelineEvents = new Counter({
    name: 'wheelhouse_timeline_events_total',
    help: 'Timeline events stored',
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'wheelhouse_commands_total',
    help: 'Command state transitions, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly liveSubscribers = new Gauge({
    name: 'wheelhouse_live_subscribers',
    help: 'Browser live-feed sockets',
    registers: [this.registry],
  });
  readonly liveDropped = new Counter({
    name: 'wheelhouse_live_dropped_total',
    help: 'Live messages dropped for slow subscribers',
    registers: [this.registry],
  });
  readonly ingestSeconds = new Histogram({
    name: 'wheelhouse_ingest_seconds',
    help: 'Time to store one agent message',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  readonly ingestBatchMessages = new Histogram({
    name: 'wheelhouse_ingest_batch_messages',
    help: 'Agent messages stored per transaction (group commit over the agent links)',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250],
    registers: [this.registry],
  });
  readonly ingestBatchSplit = new Counter({
    name: 'wheelhouse_ingest_batch_split_total',
    help: 'Group-commit transactions that failed and were stored one message per transaction',
    registers: [this.registry],
  });

  readonly walCheckpoints = new Counter({
    name: 'wheelhouse_store_wal_checkpoints_total',
    help: 'SQLite WAL checkpoints, by who ran them: worker (off the event loop) or hub (on the event loop, to rewind a WAL that had not rewound)',
    labelNames: ['by'] as const,
    registers: [this.registry],
  });
  readonly walCheckpointSeconds = new Histogram({
    name: 'wheelhouse_store_wal_checkpoint_seconds',
    help: 'Duration of one SQLite WAL checkpoint, by who ran it',
    labelNames: ['by'] as const,
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  readonly walCheckpointFailures = new Counter({
    name: 'wheelhouse_store_wal_checkpoint_failures_total',
    help: 'SQLite WAL checkpoints that failed (the next one retries)',
    registers: [this.registry],
  });
  readonly walCheckpointFallback = new Gauge({
    name: 'wheelhouse_store_wal_checkpoint_fallback',
    help: '1 when the checkpoint worker is gone and SQLite checkpoints inside commits again (on the event loop)',
    registers: [this.registry],
  });
  readonly timelineWriterCommitRows = new Histogram({
    name: 'wheelhouse_timeline_writer_commit_rows',
    help: 'Timeline events per transaction of the timeline writer thread (embedded store on a file)',
    buckets: [10, 100, 1000, 5000, 10000, 20000],
    registers: [this.registry],
  });
  readonly timelineWriterCommitSeconds = new Histogram({
    name: 'wheelhouse_timeline_writer_commit_seconds',
    help: 'Duration of one transaction of the timeline writer thread (write turn, inserts, commit)',
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly timelineWriterFallback = new Gauge({
    name: 'wheelhouse_timeline_writer_fallback',
    help: "1 when the timeline writer thread is gone and timeline events are stored on the hub's connection (on the event loop)",
    registers: [this.registry],
  });
  /** Set by the hub when the store is SQLite on a file. */
  walBytes: (() => number) | undefined;
  readonly walSize = new Gauge({
    name: 'wheelhouse_store_wal_bytes',
    help: 'Length of the SQLite -wal file (embedded store on a file)',
    registers: [this.registry],
    collect: () => {
      if (this.walBytes) this.walSize.set(this.walBytes());
    },
  });

  readonly shellSessions = new Gauge({
    name: 'wheelhouse_shell_sessions',
    help: 'Pod shell sessions open now',
    registers: [this.registry],
  });
  readonly shellBufferedBytes = new Gauge({
    name: 'wheelhouse_shell_buffered_bytes',
    help: 'Shell output bytes the hub holds for clients now (bounded by the window per session)',
    registers: [this.registry],
  });
  readonly shellBufferedBytesPeak = new Gauge({
    name: 'wheelhouse_shell_buffered_bytes_peak',
    help: 'The most shell output bytes the hub held at once',
    registers: [this.registry],
  });
  readonly shellSessionsEnded = new Counter({
    name: 'wheelhouse_shell_sessions_ended_total',
    help: 'Pod shell sessions ended, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'wheelhouse_hub_' });
  }
}
