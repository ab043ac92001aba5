// Small helpers over @kubernetes/client-node: merge patches and Events with
// deterministic names (so re-applying after a crash never duplicates an Event: the second create answers 409 and is treated as done).
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubeStatus } from './kube-errors.js';
import { COMPONENT } from './labels.js';

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Labels and annotations to merge into a pod's metadata (null removes a key). */
export interface PodMetadataPatch {
  labels?: Record<string, string | null>;
  annotations?: Record<string, string | null>;
}

/** What to do with the pod as read: leave it (with a result), or patch its metadata (and what to return once patched). */
export type PodPatchPlan<S, P> = { skip: S } | { metadata: PodMetadataPatch; patched: P };

export type PodPatchResult<S, P> =
  { outcome: 'gone' } | { outcome: 'skipped'; value: S } | { outcome: 'patched'; value: P; pod: k8s.V1Pod };

/**
 * Read-decide-write with optimistic concurrency: reads the pod, asks `plan`
 * what to write, and merge-patches with the resourceVersion it read, so a pod
 * changed meanwhile (409, maybe by another replica) is read and decided again
 * instead of overwritten. 'gone' when the pod does not exist. Other errors, and
 * a conflict that persists past `maxAttempts`, are thrown.
 */
export async function patchPodWithRetry<S, P>(
  core: k8s.CoreV1Api,
  pod: { namespace: string; name: string },
  fieldManager: string,
  plan: (current: k8s.V1Pod) => PodPatchPlan<S, P> | Promise<PodPatchPlan<S, P>>,
  maxAttempts = 10,
): Promise<PodPatchResult<S, P>> {
  for (let attempt = 1; ; attempt++) {
    let current: k8s.V1Pod;
    try {
      current = await core.readNamespacedPod({ namespace: pod.namespace, name: pod.name });
    } catch (err) {
      if (kubeStatus(err) === 404) return { outcome: 'gone' };
      throw err;
    }
    const p = await plan(current);
    if ('skip' in p) return { outcome: 'skipped', value: p.skip };
    try {
      const patched = await core.patchNamespacedPod(
        {
          namespace: pod.namespace,
          name: pod.name,
          fieldManager,
          body: { metadata: { ...p.metadata, resourceVersion: current.metadata?.resourceVersion } },
        },
        mergePatch,
      );
      return { outcome: 'patched', value: p.patched, pod: patched };
    } catch (err) {
      const code = kubeStatus(err);
      if (code === 409 && attempt < maxAttempts) continue;
      if (code === 404) return { outcome: 'gone' };
      throw err;
    }
  }
}

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

export interface EventSpec {
  /** Stable key for this Event: the same key names the same Event. */
  key: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export class EventRecorder {
  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly instance: string,
  ) {}

  static eventName(pod: PodRef, key: string): string {
    const h = createHash('sha256')
      .update(`${pod.namespace}/${pod.name}/${pod.uid ?? ''}/${key}`)
      .digest('hex')
      .slice(0, 16);
    return `${pod.name.slice(0, 200)}.${h}`;
  }

  /** Creates the Event once; a second call with the same key bumps its count (aggregation) when `aggregate` is set. */
  async record(pod: PodRef, spec: EventSpec, aggregate = false): Promise<void> {
    const name = EventRecorder.eventName(pod, spec.key);
    const now = new Date();
    const body: k8s.CoreV1Event = {
      metadata: { name, namespace: pod.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
      type: spec.type,
      reason: spec.reason,
      message: spec.message,
      source: { component: COMPONENT },
      reportingComponent: `wheelhouse.dev/exec-guard`,
      reportingInstance: this.instance.slice(0, 128),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.core.createNamespacedEvent({ namespace: pod.namespace, body });
    } catch (err) {
      if (kubeStatus(err) !== 409) throw err;
      if (!aggregate) return;
      const existing = await this.core.readNamespacedEvent({ namespace: pod.namespace, name });
      await this.core.patchNamespacedEvent(
        {
          namespace: pod.namespace,
          name,
          body: { count: (existing.count ?? 1) + 1, lastTimestamp: now.toISOString(), message: spec.message },
        },
        mergePatch,
      );
    }
  }
}
