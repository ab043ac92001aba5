// The eviction controller, active only on the leader: it watches pods carrying
// the interaction timestamp label (list + watch, so starting or taking over
// leadership re-arms every timer from the pods themselves), arms one timer per
// pod at its termination time, and evicts through the policy/v1 Eviction API
// with the pod's uid as precondition. A PodDisruptionBudget that blocks (429)
// is retried with exponential backoff and reported by a Warning Event; exec
// guard never falls back to a plain delete.
import type { EventEmitter } from 'node:events';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ExecGuardEvents } from './events.js';
import { EventRecorder } from './kube.js';
import { errorText, kubeStatus } from './kube-errors.js';
import { EVENT_REASON, INTERACTION_TIMESTAMP_LABEL } from './labels.js';
import type { Metrics } from './metrics.js';
import { interactionState, rfc3339 } from './pod-state.js';
import { formatDuration } from '@wheelhouse/protocol';

export interface EvictorOptions {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  /** Watch only these namespaces; undefined: the whole cluster. */
  namespaces: string[] | undefined;
  allowlist: ReadonlySet<string>;
  ttlMs: number;
  backoffMs: number;
  maxBackoffMs: number;
  log: Logger;
  metrics: Metrics;
  events: EventEmitter<ExecGuardEvents>;
  recorder: EventRecorder;
}

interface Armed {
  namespace: string;
  name: string;
  terminationAt: number;
  timer: NodeJS.Timeout;
  /** Blocked attempts so far (backoff exponent). */
  blocked: number;
  firing: boolean;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

export class Evictor {
  private readonly armed = new Map<string, Armed>();
  /** Pods this leader already evicted (bounded): a stale watch event must not re-arm them. */
  private readonly evicted = new Set<string>();
  private informers: (k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>)[] = [];
  private running = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  constructor(private readonly o: EvictorOptions) {}

  get armedCount(): number {
    return this.armed.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const selector = INTERACTION_TIMESTAMP_LABEL;
    const targets = this.o.namespaces ?? [undefined];
    for (const ns of targets) {
      const path = ns === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${ns}/pods`;
      const list = (): Promise<k8s.V1PodList> =>
        ns === undefined
          ? this.o.core.listPodForAllNamespaces({ labelSelector: selector })
          : this.o.core.listNamespacedPod({ namespace: ns, labelSelector: selector });
      const informer = k8s.makeInformer<k8s.V1Pod>(this.o.kc, path, list, selector);
      informer.on('add', (p) => this.observe(p));
      informer.on('update', (p) => this.observe(p));
      informer.on('delete', (p) => this.forget(p.metadata?.uid));
      informer.on('error', (err: unknown) => {
        if (!this.running) return;
        this.o.log.warn({ err: errorText(err), namespace: ns ?? '*' }, 'pod watch failed; restarting it');
        const t = setTimeout(() => {
          this.restarts.delete(t);
          if (this.running) informer.start().catch(() => undefined);
        }, 1000);
        this.restarts.add(t);
      });
      this.informers.push(informer);
    }
    await Promise.all(this.informers.map((i) => i.start()));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.restarts) clearTimeout(t);
    this.restarts.clear();
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
    this.informers = [];
    for (const a of this.armed.values()) clearTimeout(a.timer);
    this.armed.clear();
    this.o.metrics.timers.set(0);
  }

  private observe(pod: k8s.V1Pod): void {
    const uid = pod.metadata?.uid;
    const ns = pod.metadata?.namespace;
    const name = pod.metadata?.name;
    if (!this.running || uid === undefined || ns === undefined || name === undefined) return;
    const state = interactionState(pod, this.o.ttlMs);
    if (!state || pod.metadata?.deletionTimestamp || this.o.allowlist.has(ns) || this.evicted.has(uid)) {
      this.forget(uid);
      return;
    }
    const current = this.armed.get(uid);
    if (current && (current.terminationAt === state.terminationAt || current.firing || current.blocked > 0)) {
      current.terminationAt = state.terminationAt;
      return;
    }
    if (current) clearTimeout(current.timer);
    this.arm(uid, ns, name, state.terminationAt, state.terminationAt - Date.now(), current?.blocked ?? 0);
  }

  private arm(
    uid: string,
    namespace: string,
    name: string,
    terminationAt: number,
    delayMs: number,
    blocked: number,
  ): void {
    const delay = Math.min(MAX_TIMEOUT, Math.max(0, delayMs));
    const timer = setTimeout(() => {
      const a = this.armed.get(uid);
      if (!a) return;
      if (Date.now() < a.terminationAt && delay === MAX_TIMEOUT) {
        this.arm(uid, namespace, name, a.terminationAt, a.terminationAt - Date.now(), a.blocked);
        return;
      }
      a.firing = true;
      void this.evict(uid, a);
    }, delay);
    this.armed.set(uid, { namespace, name, terminationAt, timer, blocked, firing: false });
    this.o.metrics.timers.set(this.armed.size);
  }

  private forget(uid: string | undefined): void {
    if (uid === undefined) return;
    const a = this.armed.get(uid);
    if (!a) return;
    clearTimeout(a.timer);
    this.armed.delete(uid);
    this.o.metrics.timers.set(this.armed.size);
  }

  private async evict(uid: string, a: Armed): Promise<void> {
    const { namespace, name } = a;
    let pod: k8s.V1Pod;
    try {
      pod = await this.o.core.readNamespacedPod({ namespace, name });
    } catch (err) {
      if (kubeStatus(err) === 404) {
        this.o.metrics.evictions.inc({ outcome: 'gone' });
        this.forget(uid);
        return;
      }
      this.retry(uid, a, `could not read the pod: ${errorText(err)}`, false);
      return;
    }
    const state = interactionState(pod, this.o.ttlMs);
    if (!this.running || pod.metadata?.uid !== uid || pod.metadata.deletionTimestamp || !state) {
      this.forget(uid);
      return;
    }
    if (state.terminationAt > Date.now() + 20) {
      // Extended meanwhile: wait for the new time.
      this.arm(uid, namespace, name, state.terminationAt, state.terminationAt - Date.now(), 0);
      return;
    }
    try {
      await this.o.core.createNamespacedPodEviction({
        namespace,
        name,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name, namespace },
          deleteOptions: { preconditions: { uid } },
        },
      });
    } catch (err) {
      const code = kubeStatus(err);
      if (code === 404 || code === 409) {
        // Gone, or a different pod now has this name (uid precondition).
        this.o.metrics.evictions.inc({ outcome: 'gone' });
        this.forget(uid);
        return;
      }
      this.retry(uid, a, errorText(err), code === 429);
      return;
    }
    this.markEvicted(uid);
    this.forget(uid);
    this.o.metrics.evictions.inc({ outcome: 'evicted' });
    const ext =
      state.extension !== undefined
        ? ` (extended by '${state.extension}' at the request of '${state.extensionRequester ?? 'unknown'}')`
        : '';
    this.o.log.info(
      { pod: `${namespace}/${name}`, uid, interactor: state.interactor },
      'evicted pod after its exec guard TTL',
    );
    this.o.events.emit('eviction', {
      namespace,
      pod: name,
      podUid: uid,
      interactor: state.interactor,
      interactedAt: rfc3339(state.interactedAt),
      terminationTime: rfc3339(state.terminationAt),
      at: Date.now(),
    });
    await this.o.recorder
      .record(
        { namespace, name, uid },
        {
          key: 'evicted',
          type: 'Warning',
          reason: EVENT_REASON,
          message: `Pod was evicted at time ${rfc3339(Date.now())}: it was interacted with by a user '${state.interactor}' at time ${rfc3339(state.interactedAt)} and its TTL of ${state.ttl}${ext} has elapsed`,
        },
      )
      .catch((err: unknown) => this.o.log.warn({ err: errorText(err) }, 'could not record the eviction Event'));
  }

  private markEvicted(uid: string): void {
    this.evicted.add(uid);
    if (this.evicted.size > 10_000) {
      const oldest = this.evicted.values().next().value;
      if (oldest !== undefined) this.evicted.delete(oldest);
    }
  }

  private retry(uid: string, a: Armed, message: string, blockedByBudget: boolean): void {
    if (!this.running) return;
    const attempt = a.blocked + 1;
    const delay = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** Math.min(attempt - 1, 20));
    this.o.metrics.evictions.inc({ outcome: blockedByBudget ? 'blocked' : 'error' });
    this.o.log.warn(
      { pod: `${a.namespace}/${a.name}`, attempt, retryInMs: delay, err: message },
      'eviction did not go through; retrying',
    );
    this.arm(uid, a.namespace, a.name, a.terminationAt, delay, attempt);
    if (!blockedByBudget) return;
    this.o.events.emit('evictionBlocked', {
      namespace: a.namespace,
      pod: a.name,
      podUid: uid,
      message,
      retryInMs: delay,
    });
    void this.o.recorder
      .record(
        { namespace: a.namespace, name: a.name, uid },
        {
          key: 'eviction-blocked',
          type: 'Warning',
          reason: EVENT_REASON,
          message: `Pod eviction is blocked: ${message}; exec guard retries in ${formatDuration(delay)}`,
        },
        true,
      )
      .catch((err: unknown) => this.o.log.warn({ err: errorText(err) }, 'could not record the eviction-blocked Event'));
  }
}
