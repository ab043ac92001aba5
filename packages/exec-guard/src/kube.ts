// Small helpers over @kubernetes/client-node: error codes, merge patches and
// Events with deterministic names (so re-applying after a crash never
// duplicates an Event: the second create answers 409 and is treated as done).
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { COMPONENT } from './labels.js';

export function statusCode(err: unknown): number | undefined {
  if (err instanceof k8s.ApiException) return (err as k8s.ApiException<unknown>).code;
  return undefined;
}

/** The API server's message from an error body, or the error's own message. */
export function errorMessage(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body = (err as k8s.ApiException<unknown>).body;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string') return parsed.message;
      } catch {
        return body.slice(0, 500);
      }
    }
    if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
      return (body as { message: string }).message;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

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
      if (statusCode(err) !== 409) throw err;
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
