// Prometheus metrics, one registry per exec guard instance (so two instances
// can share a process, as the agent embedding and the tests do).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  interactions: Counter<'operation' | 'outcome'>;
  extensions: Counter<'outcome'>;
  evictions: Counter<'outcome'>;
  denials: Counter<'reason'>;
  queueDepth: Gauge<'queue'>;
  queueSpilled: Counter<'queue'>;
  webhookLatency: Histogram<'hook' | 'code'>;
  applyErrors: Counter<'kind'>;
  applyRefused: Counter<'kind'>;
  timers: Gauge;
  leader: Gauge;
}

export function createMetrics(defaults = false): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'exec_guard_' });
  const registers = [registry];
  return {
    registry,
    interactions: new Counter({
      name: 'exec_guard_interactions_total',
      help: 'kubectl exec/attach/port-forward/debug admissions seen, by outcome (recorded | ignored: allowlisted namespace or disabled operation | rate-limited: the user is over the rate | error: could not record)',
      labelNames: ['operation', 'outcome'],
      registers,
    }),
    extensions: new Counter({
      name: 'exec_guard_extensions_total',
      help: 'Extension requests, by outcome (requested | applied | denied | stale)',
      labelNames: ['outcome'],
      registers,
    }),
    evictions: new Counter({
      name: 'exec_guard_evictions_total',
      help: 'Eviction attempts, by outcome (evicted | blocked: a PodDisruptionBudget answered 429 | gone | error)',
      labelNames: ['outcome'],
      registers,
    }),
    denials: new Counter({
      name: 'exec_guard_denials_total',
      help: 'Requests denied or refused, by reason (labels, annotations, reserved-keys, extension caps, rate-limited, journal-full, unauthenticated, …)',
      labelNames: ['reason'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'exec_guard_queue_depth',
      help: 'Journal entries waiting in memory to be applied, by queue (interact | extend)',
      labelNames: ['queue'],
      registers,
    }),
    queueSpilled: new Counter({
      name: 'exec_guard_queue_spilled_total',
      help: 'Entries that found their in-memory queue full: kept only in the journal and reloaded from it later',
      labelNames: ['queue'],
      registers,
    }),
    webhookLatency: new Histogram({
      name: 'exec_guard_webhook_duration_seconds',
      help: 'Time from receiving an AdmissionReview to answering it, by hook (connect | update | debug) and HTTP status',
      labelNames: ['hook', 'code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    applyErrors: new Counter({
      name: 'exec_guard_apply_errors_total',
      help: 'Failed attempts to apply a journal entry to the cluster (retried with backoff unless refused for good)',
      labelNames: ['kind'],
      registers,
    }),
    applyRefused: new Counter({
      name: 'exec_guard_apply_refused_total',
      help: 'Journal entries dropped because the API server refused the write for good (4xx such as 403 Forbidden or 422 Invalid): retrying cannot help; the pod stays unlabelled',
      labelNames: ['kind'],
      registers,
    }),
    timers: new Gauge({
      name: 'exec_guard_eviction_timers',
      help: 'Pods with an armed eviction timer (leader only)',
      registers,
    }),
    leader: new Gauge({
      name: 'exec_guard_leader',
      help: '1 while this instance holds the leader Lease and evicts',
      registers,
    }),
  };
}
