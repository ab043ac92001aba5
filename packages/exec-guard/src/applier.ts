// Applies journal entries to the cluster, idempotently: a pod's first
// interaction sets its labels, annotations and Events; an extension moves its
// termination time. Entries wait in two bounded in-memory queues (interact,
// extend); an entry that finds its queue full stays only in the journal (it is
// already durable) and is reloaded from there once the queue drains, so a burst
// never stalls the webhook and never loses an entry.
import type { EventEmitter } from 'node:events';
import type * as k8s from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '@wheelhouse/protocol';
import type { Logger } from 'pino';
import type { ExecGuardEvents } from './events.js';
import type { ExtensionEntry, InteractionEntry, Journal, JournalEntry } from './journal.js';
import { EventRecorder, mergePatch, type PodRef } from './kube.js';
import { errorText, kubeStatus } from './kube-errors.js';
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
import type { Metrics } from './metrics.js';
import { aboutUntil, interactionState, rfc3339, type InteractionState } from './pod-state.js';

type QueueName = 'interact' | 'extend';

const LABELLED_CACHE_MS = 10_000;

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

interface Slot {
  entry: JournalEntry;
  attempts: number;
  notBefore: number;
}

type Outcome = 'applied' | 'later' | 'gone' | 'replaced' | 'stale';

const queueOf = (e: JournalEntry): QueueName => (e.kind === 'interaction' ? 'interact' : 'extend');
const podKey = (e: { namespace: string; pod: string }): string => `${e.namespace}/${e.pod}`;

export class Applier {
  private readonly queues: Record<QueueName, Slot[]> = { interact: [], extend: [] };
  private readonly spilled: Record<QueueName, boolean> = { interact: false, extend: false };
  private readonly known = new Set<string>();
  private readonly inFlightPods = new Set<string>();
  private inFlight = 0;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly idle = new Set<() => void>();
  /** Pods known to be labelled already (bounded), so repeated execs cost no API call. */
  private readonly labelled = new Map<string, number>();

  constructor(private readonly o: ApplierOptions) {}

  /** Hands a durable entry to the worker; false when its queue was full (the entry stays in the journal). */
  enqueue(entry: JournalEntry): boolean {
    const q = queueOf(entry);
    if (this.known.has(entry.id)) return true;
    if (this.queues[q].length >= this.bound(q)) {
      this.spilled[q] = true;
      this.o.metrics.queueSpilled.inc({ queue: q });
      return false;
    }
    this.known.add(entry.id);
    this.queues[q].push({ entry, attempts: 0, notBefore: 0 });
    this.o.metrics.queueDepth.set({ queue: q }, this.queues[q].length);
    this.wake();
    return true;
  }

  /** Loads entries recovered from the journal (after a restart or a spill). */
  load(entries: JournalEntry[]): void {
    for (const e of entries) this.enqueue(e);
  }

  depth(q: QueueName): number {
    return this.queues[q].length;
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
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private isIdle(): boolean {
    return (
      this.queues.interact.length === 0 &&
      this.queues.extend.length === 0 &&
      this.inFlight === 0 &&
      !this.spilled.interact &&
      !this.spilled.extend
    );
  }

  private bound(q: QueueName): number {
    return q === 'interact' ? this.o.interactQueueSize : this.o.extendQueueSize;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    const concurrency = this.o.concurrency ?? 4;
    const active = new Set<Promise<void>>();
    while (this.running) {
      const now = Date.now();
      let next: Slot | undefined;
      let soonest = Infinity;
      if (this.inFlight < concurrency) {
        // Extensions first: they are few and a user waits for them.
        for (const q of ['extend', 'interact'] as const) {
          const queue = this.queues[q];
          const i = queue.findIndex((s) => {
            if (this.inFlightPods.has(podKey(s.entry))) return false;
            if (s.notBefore > now) {
              soonest = Math.min(soonest, s.notBefore);
              return false;
            }
            return true;
          });
          if (i >= 0) {
            next = queue.splice(i, 1)[0];
            this.o.metrics.queueDepth.set({ queue: q }, queue.length);
            break;
          }
        }
      }
      if (next) {
        const slot = next;
        this.inFlight++;
        this.inFlightPods.add(podKey(slot.entry));
        const p = this.process(slot).finally(() => {
          this.inFlight--;
          this.inFlightPods.delete(podKey(slot.entry));
          active.delete(p);
          this.wake();
        });
        active.add(p);
        continue;
      }
      if (
        this.inFlight === 0 &&
        (this.spilled.interact || this.spilled.extend) &&
        this.queues.interact.length + this.queues.extend.length === 0
      ) {
        await this.reloadSpilled();
        continue;
      }
      if (this.isIdle()) {
        for (const r of this.idle) r();
        this.idle.clear();
      }
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        if (Number.isFinite(soonest)) {
          const t = setTimeout(resolve, Math.max(1, soonest - Date.now()));
          t.unref();
        }
      });
    }
    await Promise.allSettled([...active]);
    for (const r of this.idle) r();
    this.idle.clear();
  }

  private async reloadSpilled(): Promise<void> {
    this.spilled.interact = false;
    this.spilled.extend = false;
    try {
      const { pending } = await this.o.journal.scan();
      this.load(pending);
    } catch (err) {
      this.o.log.error({ err: errorText(err) }, 'could not reload spilled entries from the journal; retrying');
      this.spilled.interact = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async process(slot: Slot): Promise<void> {
    const e = slot.entry;
    try {
      const outcome = e.kind === 'interaction' ? await this.applyInteraction(e) : await this.applyExtension(e);
      this.o.log.debug({ id: e.id, kind: e.kind, pod: podKey(e), outcome }, 'applied journal entry');
      await this.o.journal.markDone(e.id);
      this.known.delete(e.id);
    } catch (err) {
      slot.attempts++;
      const base = this.o.backoffMs ?? 500;
      const delay = Math.min(this.o.maxBackoffMs ?? 30_000, base * 2 ** Math.min(slot.attempts - 1, 16));
      slot.notBefore = Date.now() + delay;
      this.o.metrics.applyErrors.inc({ kind: e.kind });
      this.o.log.warn(
        { id: e.id, kind: e.kind, pod: podKey(e), attempt: slot.attempts, retryInMs: delay, err: errorText(err) },
        'could not apply journal entry; will retry',
      );
      const q = queueOf(e);
      // A retried entry keeps its place even if the queue filled meanwhile (it was admitted already).
      this.queues[q].push(slot);
      this.o.metrics.queueDepth.set({ queue: q }, this.queues[q].length);
    }
  }

  private async readPod(ns: string, name: string): Promise<k8s.V1Pod | undefined> {
    try {
      return await this.o.core.readNamespacedPod({ namespace: ns, name });
    } catch (err) {
      if (kubeStatus(err) === 404) return undefined;
      throw err;
    }
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
    for (let attempt = 0; ; attempt++) {
      const pod = await this.readPod(e.namespace, e.pod);
      if (!pod) return 'gone';
      const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
      // A pod with this name created after the interaction is a different pod (e.g. a StatefulSet replacement).
      if (created > e.at + 1000) return 'replaced';
      const ref: PodRef = { namespace: e.namespace, name: e.pod, uid: pod.metadata?.uid };
      const state = interactionState(pod, this.o.ttlMs);
      if (state) {
        this.rememberLabelled(key);
        if (state.interactionId === e.id) {
          // Labelled by this very entry before a crash: make sure its Events exist too.
          await this.interactionEvents(ref, e, state);
          this.o.events.emit('interaction', {
            entry: e,
            first: true,
            podUid: ref.uid,
            terminationTime: rfc3339(state.terminationAt),
          });
          return 'applied';
        }
        this.o.events.emit('interaction', {
          entry: e,
          first: false,
          podUid: ref.uid,
          terminationTime: rfc3339(state.terminationAt),
        });
        return 'later';
      }
      if (pod.metadata?.deletionTimestamp) {
        this.o.events.emit('interaction', { entry: e, first: false, podUid: ref.uid });
        return 'gone';
      }
      const ts = Math.floor(e.at / 1000);
      const terminationAt = ts * 1000 + this.o.ttlMs;
      try {
        await this.o.core.patchNamespacedPod(
          {
            namespace: e.namespace,
            name: e.pod,
            fieldManager: 'wheelhouse-exec-guard',
            body: {
              metadata: {
                resourceVersion: pod.metadata?.resourceVersion,
                labels: {
                  [INTERACTION_TIMESTAMP_LABEL]: String(ts),
                  [INTERACTOR_LABEL]: labelSafeUsername(e.user),
                  [TTL_LABEL]: formatDuration(this.o.ttlMs),
                },
                annotations: {
                  [INTERACTOR_ANNOTATION]: e.user,
                  [TERMINATION_TIME_ANNOTATION]: rfc3339(terminationAt),
                  [INTERACTION_ID_ANNOTATION]: e.id,
                },
              },
            },
          },
          mergePatch,
        );
      } catch (err) {
        const code = kubeStatus(err);
        if (code === 409 && attempt < 10) continue; // changed meanwhile (maybe labelled by another replica): look again
        if (code === 404) return 'gone';
        throw err;
      }
      this.rememberLabelled(key);
      const applied: InteractionState = {
        interactedAt: ts * 1000,
        interactor: e.user,
        ttlMs: this.o.ttlMs,
        ttl: formatDuration(this.o.ttlMs),
        terminationAt,
      };
      await this.interactionEvents(ref, e, applied);
      this.o.events.emit('interaction', {
        entry: e,
        first: true,
        podUid: ref.uid,
        terminationTime: rfc3339(terminationAt),
      });
      return 'applied';
    }
  }

  private async interactionEvents(ref: PodRef, e: InteractionEntry, s: InteractionState): Promise<void> {
    const what = e.operation === 'portforward' ? 'kubectl port-forward' : 'kubectl exec/attach';
    await this.o.recorder.record(ref, {
      key: `interaction/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: `Pod was interacted with '${what}' command by a user '${e.user}' initially at time ${rfc3339(s.interactedAt)}`,
    });
    await this.o.recorder.record(ref, {
      key: `eviction-time/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: `Pod will be evicted at time ${rfc3339(s.terminationAt)} (in about ${aboutUntil(s.terminationAt)})`,
    });
  }

  private async applyExtension(e: ExtensionEntry): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const pod = await this.readPod(e.namespace, e.pod);
      if (!pod) return 'gone';
      if (e.podUid !== undefined && pod.metadata?.uid !== e.podUid) return 'replaced';
      const state = interactionState(pod, this.o.ttlMs);
      if (!state) return 'stale';
      const ref: PodRef = { namespace: e.namespace, name: e.pod, uid: pod.metadata?.uid };
      const annotations = pod.metadata?.annotations ?? {};
      if (annotations[EXTENSION_ID_ANNOTATION] === e.id) {
        // Applied by this entry before a crash: make sure its Event exists.
        await this.extensionEvent(ref, e, state.terminationAt);
        return 'applied';
      }
      if (annotations[EXTENSION_REQUEST_ANNOTATION] !== e.duration) {
        this.o.metrics.extensions.inc({ outcome: 'stale' });
        return 'stale';
      }
      const previous = state.terminationAt;
      const next = previous + parseDuration(e.duration);
      try {
        await this.o.core.patchNamespacedPod(
          {
            namespace: e.namespace,
            name: e.pod,
            fieldManager: 'wheelhouse-exec-guard',
            body: {
              metadata: {
                resourceVersion: pod.metadata?.resourceVersion,
                annotations: {
                  [TERMINATION_TIME_ANNOTATION]: rfc3339(next),
                  [EXTENSION_ANNOTATION]: e.duration,
                  [EXTENSION_REQUESTER_ANNOTATION]: e.requester,
                  [EXTENSION_ID_ANNOTATION]: e.id,
                  [EXTENSION_REQUEST_ANNOTATION]: null,
                },
              },
            },
          },
          mergePatch,
        );
      } catch (err) {
        const code = kubeStatus(err);
        if (code === 409 && attempt < 10) continue;
        if (code === 404) return 'gone';
        throw err;
      }
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
  }

  private async extensionEvent(ref: PodRef, e: ExtensionEntry, next: number): Promise<void> {
    await this.o.recorder.record(ref, {
      key: `extension/${e.id}`,
      type: 'Warning',
      reason: EVENT_REASON,
      message: `Pod eviction time has been extended by '${e.duration}', as requested from user '${e.requester}'. New eviction time: ${rfc3339(next)}`,
    });
  }
}
