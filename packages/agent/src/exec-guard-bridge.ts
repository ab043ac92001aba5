// When the agent runs exec guard in-process, its interactions, extensions and
// evictions become timeline events on the pod (and, through the pod's owner,
// on its workload's timeline at the hub).
import type { TimelineEventInput } from '@wheelhouse/protocol';
// Subpaths, not the package root: that would load exec guard's server and the client library into every agent.
import type { ExecGuardHandle } from '@wheelhouse/exec-guard';
import { interactionSummary } from '@wheelhouse/exec-guard/messages';
import type { OwnerResolver } from './timeline/events.js';

type Sink = (events: TimelineEventInput[]) => void;
type OwnerOfPod = (namespace: string, pod: string) => ReturnType<OwnerResolver>;

export function forwardExecGuardEvents(handle: ExecGuardHandle, sink: Sink, ownerOfPod: OwnerOfPod): () => void {
  const base = (namespace: string, pod: string): Pick<TimelineEventInput, 'kind' | 'namespace' | 'name' | 'owner'> => {
    const owner = ownerOfPod(namespace, pod);
    return { kind: 'Pod', namespace, name: pod, ...(owner ? { owner } : {}) };
  };
  const onInteraction: Parameters<typeof handle.events.on<'interaction'>>[1] = (e) => {
    const x = e.entry;
    sink([
      {
        id: `exec-interaction:${x.id}`,
        time: x.at,
        type: 'exec-interaction',
        severity: 'warning',
        ...base(x.namespace, x.pod),
        summary: interactionSummary(x, e.first, e.terminationTime),
        data: {
          event: 'interaction',
          user: x.user,
          ...(x.onBehalfOf !== undefined ? { onBehalfOf: x.onBehalfOf } : {}),
          operation: x.operation,
          container: x.container ?? null,
          command: x.command ?? null,
          ...(x.operation === 'debug' ? { image: x.image ?? null, targetContainer: x.targetContainer ?? null } : {}),
          first: e.first,
          terminationTime: e.terminationTime ?? null,
        },
      },
    ]);
  };
  const onExtension: Parameters<typeof handle.events.on<'extension'>>[1] = (e) => {
    sink([
      {
        id: `exec-extension:${e.podUid ?? e.pod}:${e.at}`,
        time: e.at,
        type: 'exec-interaction',
        severity: 'info',
        ...base(e.namespace, e.pod),
        summary: `${e.requester} extended the eviction time by ${e.duration}: now ${e.terminationTime}`,
        data: {
          event: 'extension',
          requester: e.requester,
          duration: e.duration,
          previousTerminationTime: e.previousTerminationTime,
          terminationTime: e.terminationTime,
        },
      },
    ]);
  };
  const onEviction: Parameters<typeof handle.events.on<'eviction'>>[1] = (e) => {
    sink([
      {
        id: `exec-eviction:${e.podUid}`,
        time: e.at,
        type: 'exec-interaction',
        severity: 'warning',
        ...base(e.namespace, e.pod),
        summary: `Exec guard evicted the pod (interacted with by ${e.interactor} at ${e.interactedAt})`,
        data: {
          event: 'eviction',
          interactor: e.interactor,
          interactedAt: e.interactedAt,
          terminationTime: e.terminationTime,
        },
      },
    ]);
  };
  const onBlocked: Parameters<typeof handle.events.on<'evictionBlocked'>>[1] = (e) => {
    // One entry per pod per minute: a PDB can block for a long time.
    const minute = Math.floor(Date.now() / 60_000);
    sink([
      {
        id: `exec-eviction-blocked:${e.podUid}:${minute}`,
        time: Date.now(),
        type: 'exec-interaction',
        severity: 'warning',
        ...base(e.namespace, e.pod),
        summary: `Exec guard could not evict the pod yet: ${e.message}`,
        data: { event: 'evictionBlocked', message: e.message, retryInMs: e.retryInMs },
      },
    ]);
  };
  handle.events.on('interaction', onInteraction);
  handle.events.on('extension', onExtension);
  handle.events.on('eviction', onEviction);
  handle.events.on('evictionBlocked', onBlocked);
  return () => {
    handle.events.off('interaction', onInteraction);
    handle.events.off('extension', onExtension);
    handle.events.off('eviction', onEviction);
    handle.events.off('evictionBlocked', onBlocked);
  };
}
