// Small helpers over @kubernetes/client-node: merge patches and Events with
// deterministic names (so re-applying after a crash never duplicates an Event: the second create answers 409 and is treated as done).
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubeStatus } from './kube-errors.js';
import { COMPONENT } from './labels.js';

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

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
