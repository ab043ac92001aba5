// Applies journal entries to the cluster, idempotently: a pod's first
// interaction sets its labels, annotations and Events; an extension moves its
// termination time. Entries wait in two bounded in-memory queues (interact,
// extend); an entry that finds its queue full stays only in the journal (it is
// already durable) and is reloaded from there once the queue drains, so a burst
// never stalls the webhook and never loses an entry. The scheduling itself
// (lanes, one write per pod at a time, backoff) is the pure WorkQueue; a write
// the API server refuses for good (403, 422…) is not retried.
import type { EventEmitter } from 'node:events';
import type * as k8s from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '@wheelhouse/protocol';
import type { Logger } from 'pino';
import type { ExecGuardEvents } from './events.js';
import type { ExtensionEntry, InteractionEntry, Journal, JournalEntry } from './journal.js';
import { EventRecorder, patchPodWithRetry, type PodRef } from './kube.js';
import { errorText, isTerminalKubeError } from './kube-errors.js';
import {
  EVENT_REASON,
  EXTENSION_ANNOTATION,
  EXTENSION_ID_ANNOTATION,
  EXTENSION_REQUESTER_ANNOTATION,
  EXTENSION_REQUEST_ANNOTATION,
  INTERACTION_ID_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  INTERACTOR_ANNOTATION,
  INTERACTOR_LABEL,
  TERMINATION_TIME_ANNOTATION,
  TTL_LABEL,
  labelSafeUsername,
} from './labels.js';
import { interactionEventMessage } from './messages.js';
import type { Metrics } from './metrics.js';
import { aboutUntil, interactionState, rfc3339, type InteractionState } from './pod-state.js';
import { WorkQueue, type Job } from './work-queue.js';

type QueueName = 'interact' | 'extend';

const LABELLED_CACHE_MS = 10_000;
const FIELD_MANAGER = 'wheelhouse-exec-guard';

export interface ApplierOptions {
  core: k8s.CoreV1Api;
  journal: Journal;
  ttlMs: number;
  interactQueueSize: number;
  extendQueueSize: number;
  concurrency?: number;
  /** First retry delay after a failed apply; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  metrics: Metrics;
  log: Logger;
  events: EventEmitter<ExecGuardEvents>;
  recorder: EventRecorder;
}

/** What applying an entry found; 'refused': the API server refused the write for good (403, 422…). */
type Outcome = 'applied' | 'later' | 'gone' | 'replaced' | 'stale' | 'refused';

const podKey = (e: { namespace: string; pod: string }): string => `${e.namespace}/${e.pod}`;

export class Applier {
  private readonly queue: WorkQueue<QueueName, JournalEntry>;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly idle = new Set<() => void>();
  /** Pods known to be labelled already (bounded), so repeated execs cost no API call. */
  private readonly labelled = new Map<string, number>();

  constructor(private readonly o: ApplierOptions) {
    this.queue = new WorkQueue(
      {
        // Extensions first: they are few and a user waits for them.
        lanes: [
          { name: 'extend', bound: o.extendQueueSize },
          { name: 'interact', bound: o.interactQueueSize },
        ],
        concurrency: o.concurrency ?? 4,
        backoffMs: o.backoffMs ?? 500,
        maxBackoffMs: o.maxBackoffMs ?? 30_000,
      },
      (e) => ({ id: e.id, key: podKey(e), lane: e.kind === 'interaction' ? 'interact' : 'extend' }),
    );
  }

  /** Hands a durable entry to the worker; false when its queue was full (the entry stays in the journal). */
  enqueue(entry: JournalEntry): boolean {
    const r = this.queue.offer(entry);
    const q: QueueName = entry.kind === 'interaction' ? 'interact' : 'extend';
    if (r === 'full') {
      this.o.metrics.queueSpilled.inc({ queue: q });
      return false;
    }
    if (r === 'queued') {
      this.gauge(q);
      this.wake();
    }
    return true;
  }

  /** Loads entries recovered from the journal (after a restart or a spill). */
  load(entries: JournalEntry[]): void {
    for (const e of entries) this.enqueue(e);
  }

  depth(q: QueueName): number {
    return this.queue.depth(q);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  /** Resolves when every queued entry has been applied (or the worker stopped). */
  drained(): Promise<void> {
    if (this.queue.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private gauge(q: QueueName): void {
    this.o.metrics.queueDepth.set({ queue: q }, this.queue.depth(q));
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    const active = new Set<Promise<void>>();
    while (this.running) {
      const job = this.queue.take(Date.now());
      if (job) {
        this.gauge(job.lane);
        const p = this.process(job).finally(() => {
          active.delete(p);
          this.wake();
        });
        active.add(p);
        continue;
      }
      if (this.queue.needsReload()) {
        await this.reloadSpilled();
        continue;
      }
      if (this.queue.idle()) {
        for (const r of this.idle) r();
        this.idle.clear();
      }
      const readyAt = this.queue.nextReadyAt(Date.now());
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        if (readyAt !== undefined) setTimeout(resolve, Math.max(1, readyAt - Date.now())).unref();
      });
    }
    await Promise.allSettled([...active]);
    for (const r of this.idle) r();
    this.idle.clear();
  }

  private async reloadSpilled(): Promise<void> {
    const lanes = this.queue.beginReload();
    try {
      // From memory: re-reading and parsing the file here stalled every hook behind it under load.
      this.load(this.o.journal.pendingEntries());
    } catch (err) {
      this.o.log.error({ err: errorText(err) }, 'could not reload spilled entries from the journal; retrying');
      for (const l of lanes) this.queue.markSpilled(l);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async process(job: Job<QueueName, JournalEntry>): Promise<void> {
    const e = job.item;
    let outcome: Outcome;
    try {
      outcome = e.kind === 'interaction' ? await this.applyInteraction(e) : await this.applyExtension(e);
    } catch (err) {
      if (!isTerminalKubeError(err)) return this.retry(job, err);
      // Asking again gets the same answer (no RBAC for it, an invalid write): say so loudly, drop the entry.
      outcome = 'refused';
      this.o.metrics.applyErrors.inc({ kind: e.kind });
      this.o.metrics.applyRefused.inc({ kind: e.kind });
      this.o.log.error(
        { id: e.id, kind: e.kind, pod: podKey(e), attempt: job.attempts + 1, err: errorText(err) },
        'the API server refused to apply journal entry; not retrying',
      );
    }
    // Not awaited: the marker rides along with the next journal write. If it never reaches the disk, the entry
    // is applied once more after a restart, which changes nothing (applying is idempotent).
    this.o.journal
      .markDone(e.id)
      .catch((err: unknown) =>
        this.o.log.warn(
          { id: e.id, err: errorText(err) },
          'could not mark journal entry done; it is applied again on restart',
        ),
      );
    this.o.log.debug({ id: e.id, kind: e.kind, pod: podKey(e), outcome }, 'applied journal entry');
    this.queue.finish(job);
    this.gauge(job.lane);
  }

  private retry(job: Job<QueueName, JournalEntry>, err: unknown): void {
    const e = job.item;
    const delay = this.queue.retry(job, Date.now());
    this.o.metrics.applyErrors.inc({ kind: e.kind });
    this.gauge(job.lane);
    this.o.log.warn(
      { id: e.id, kind: e.kind, pod: podKey(e), attempt: job.attempts, retryInMs: delay, err: errorText(err) },
      'could not apply journal entry; will retry',
    );
  }

  private rememberLabelled(key: string): void {
    this.labelled.delete(key);
    this.labelled.set(key, Date.now());
    if (this.labelled.size > 10_000) {
      const oldest = this.labelled.keys().next().value;
      if (oldest !== undefined) this.labelled.delete(oldest);
    }
  }

  private async applyInteraction(e: InteractionEntry): Promise<Outcome> {
    const key = podKey(e);
    const cached = this.labelled.get(key);
    // Seen labelled moments ago: a repeated exec changes nothing, so it costs no API call.
    if (cached !== undefined && Date.now() - cached < LABELLED_CACHE_MS) {
      this.o.events.emit('interaction', { entry: e, first: false });
      return 'later';
    }
    const r = await patchPodWithRetry<Outcome, { ref: PodRef; applied: InteractionState }>(
      this.o.core,
      { namespace: e.namespace, name: e.pod },
      FIELD_MANAGER,
      async (pod) => {
        const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
        // A pod with this name created after the interaction is a different pod (e.g. a StatefulSet replacement).
        if (created > e.at + 1000) return { skip: 'replaced' };
        const ref: PodRef = { namespace: e.namespace, name: e.pod, uid: pod.metadata?.uid };
        const state = interactionState(pod, this.o.ttlMs);
        if (state) {
          this.rememberLabelled(key);
          const first = state.interactionId === e.id;
          // Labelled by this very entry before a crash: make sure its Events exist too.
          if (first) await this.interactionEvents(ref, e, state);
          this.o.events.emit('interaction', {
            entry: e,
            first,
            podUid: ref.uid,
            terminationTime: rfc3339(state.terminationAt),
          });
          return { skip: first ? 'applied' : 'later' };
        }
        if (pod.metadata?.deletionTimestamp) {
          this.o.events.emit('interaction', { entry: e, first: false, podUid: ref.uid });
          return { skip: 'gone' };
        }
        const ts = Math.floor(e.at / 1000);
        const applied: InteractionState = {
          interactedAt: ts * 1000,
          interactor: e.user,
          ttlMs: this.o.ttlMs,
          ttl: formatDuration(this.o.ttlMs),
          terminationAt: ts * 1000 + this.o.ttlMs,
        };
        return {
          metadata: {
            labels: {
              [INTERACTION_TIMESTAMP_LABEL]: String(ts),
              [INTERACTOR_LABEL]: labelSafeUsername(e.user),
              [TTL_LABEL]: applied.ttl,
            },
            annotations: {
              [INTERACTOR_ANNOTATION]: e.user,
              [TERMINATION_TIME_ANNOTATION]: rfc3339(applied.terminationAt),
              [INTERACTION_ID_ANNOTATION]: e.id,
            },
          },
          patched: { ref, applied },
        };
      },
    );
    if (r.outcome === 'gone') return 'gone';
    if (r.outcome === 'skipped') return r.value;
    const { ref, applied } = r.value;
    this.rememberLabelled(key);
    await this.interactionEvents(ref, e, applied);
    this.o.events.emit('interaction', {
      entry: e,
      first: true,
      podUid: ref.uid,
      terminationTime: rfc3339(applied.terminationAt),
    });
    return 'applied';
  }

  private async interactionEvents(ref: PodRef, e: InteractionEntry, s: InteractionState): Promise<void> {
    await this.o.recorder.record(ref, {
      key: `interaction/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: interactionEventMessage(e, rfc3339(s.interactedAt)),
    });
    await this.o.recorder.record(ref, {
      key: `eviction-time/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: `Pod will be evicted at time ${rfc3339(s.terminationAt)} (in about ${aboutUntil(s.terminationAt)})`,
    });
  }

  private async applyExtension(e: ExtensionEntry): Promise<Outcome> {
    const r = await patchPodWithRetry<Outcome, { ref: PodRef; previous: number; next: number }>(
      this.o.core,
      { namespace: e.namespace, name: e.pod },
      FIELD_MANAGER,
      async (pod) => {
        if (e.podUid !== undefined && pod.metadata?.uid !== e.podUid) return { skip: 'replaced' };
        const state = interactionState(pod, this.o.ttlMs);
        if (!state) return { skip: 'stale' };
        const ref: PodRef = { namespace: e.namespace, name: e.pod, uid: pod.metadata?.uid };
        const annotations = pod.metadata?.annotations ?? {};
        if (annotations[EXTENSION_ID_ANNOTATION] === e.id) {
          // Applied by this entry before a crash: make sure its Event exists.
          await this.extensionEvent(ref, e, state.terminationAt);
          return { skip: 'applied' };
        }
        // The hook journals the request before the API server stores the update: a request not visible yet is retried.
        if (annotations[EXTENSION_REQUEST_ANNOTATION] === undefined && Date.now() - e.at < 10_000)
          throw new Error('the extension request is not on the pod yet (the API server has not stored it)');
        if (annotations[EXTENSION_REQUEST_ANNOTATION] !== e.duration) {
          this.o.metrics.extensions.inc({ outcome: 'stale' });
          return { skip: 'stale' };
        }
        const previous = state.terminationAt;
        const next = previous + parseDuration(e.duration);
        return {
          metadata: {
            annotations: {
              [TERMINATION_TIME_ANNOTATION]: rfc3339(next),
              [EXTENSION_ANNOTATION]: e.duration,
              [EXTENSION_REQUESTER_ANNOTATION]: e.requester,
              [EXTENSION_ID_ANNOTATION]: e.id,
              [EXTENSION_REQUEST_ANNOTATION]: null,
            },
          },
          patched: { ref, previous, next },
        };
      },
    );
    if (r.outcome === 'gone') return 'gone';
    if (r.outcome === 'skipped') return r.value;
    const { ref, previous, next } = r.value;
    this.o.metrics.extensions.inc({ outcome: 'applied' });
    await this.extensionEvent(ref, e, next);
    this.o.events.emit('extension', {
      namespace: e.namespace,
      pod: e.pod,
      podUid: ref.uid,
      duration: e.duration,
      requester: e.requester,
      at: e.at,
      previousTerminationTime: rfc3339(previous),
      terminationTime: rfc3339(next),
    });
    return 'applied';
  }

  private async extensionEvent(ref: PodRef, e: ExtensionEntry, next: number): Promise<void> {
    await this.o.recorder.record(ref, {
      key: `extension/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: `Pod eviction time has been extended by '${e.duration}', as requested from user '${e.requester}'. New eviction time: ${rfc3339(next)}`,
    });
    // As the reference controller does: `kubectl describe pod` then reads the new countdown too.
    await this.o.recorder.record(ref, {
      key: `extension-eviction-time/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: `Pod will be evicted at time ${rfc3339(next)} (in about ${aboutUntil(next)})`,
    });
  }
}
