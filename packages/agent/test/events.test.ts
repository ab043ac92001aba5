import { describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { project } from '../src/projections.js';
import { eventFromKubernetesEvent, eventsForChange, shouldEmitEventCount } from '../src/timeline/events.js';

const noOwner = () => undefined;

function pod(rv: string, status: Record<string, unknown>): InventoryItem {
  return project('Pod', {
    metadata: {
      name: 'web-1',
      namespace: 'prod',
      uid: 'u1',
      resourceVersion: rv,
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1' }],
    },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'web:1' }] },
    status,
  });
}

function node(rv: string, ready: string, unschedulable = false): InventoryItem {
  return project('Node', {
    metadata: { name: 'n1', uid: 'n1', resourceVersion: rv },
    spec: { unschedulable },
    status: {
      conditions: [
        { type: 'Ready', status: ready },
        { type: 'MemoryPressure', status: 'False' },
      ],
    },
  });
}

describe('timeline events from changes', () => {
  it('reports pod phase and readiness transitions', () => {
    const pending = pod('1', { phase: 'Pending' });
    const ready = pod('2', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
    const [e] = eventsForChange(pending, ready, 1000, noOwner);
    expect(e).toMatchObject({
      type: 'pod-phase',
      summary: 'Pod web-1: Pending → Running/Ready',
      severity: 'info',
      data: { from: 'Pending', to: 'Running/Ready' },
    });
    const notReady = pod('3', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    expect(eventsForChange(ready, notReady, 1000, noOwner)[0]).toMatchObject({
      severity: 'warning',
      data: { to: 'Running/NotReady' },
    });
    // Nothing changed that matters: no event.
    expect(
      eventsForChange(
        ready,
        pod('4', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }),
        1000,
        noOwner,
      ),
    ).toEqual([]);
  });

  it('reports a restart once per restart count, with the real reason (the termination, not the back-off) and exit code', () => {
    const before = pod('1', {
      phase: 'Running',
      containerStatuses: [{ name: 'app', restartCount: 2, state: { running: {} } }],
    });
    const after = pod('2', {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
        },
      ],
    });
    const events = eventsForChange(before, after, 1000, noOwner).filter((e) => e.type === 'container-restart');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: 'restart:u1:app:3',
      severity: 'error',
      data: { reason: 'OOMKilled', exitCode: 137, terminationReason: 'OOMKilled', restartCount: 3 },
      summary: 'Container app of web-1 restarted (OOMKilled, exit code 137; CrashLoopBackOff), 3 restarts',
    });
  });

  it('reports node condition changes and cordoning', () => {
    const events = eventsForChange(node('1', 'True'), node('2', 'False', true), 1000, noOwner);
    expect(events.map((e) => e.type).sort()).toEqual(['node-condition', 'spec-change']);
    expect(events.find((e) => e.type === 'node-condition')).toMatchObject({
      severity: 'warning',
      summary: 'Node n1 Ready: True → False',
    });
    expect(events.find((e) => e.type === 'spec-change')?.data.changes).toEqual([
      { path: 'unschedulable', from: false, to: true },
    ]);
  });

  it('ignores status-only churn of a Deployment but reports a replica change', () => {
    const dep = (rv: string, replicas: number, ready: number): InventoryItem =>
      project('Deployment', {
        metadata: {
          name: 'web',
          namespace: 'prod',
          uid: 'd1',
          resourceVersion: rv,
          annotations: { 'deployment.kubernetes.io/revision': rv },
        },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web' } },
          template: { spec: { containers: [{ name: 'app', image: 'web:1' }] } },
        },
        status: { readyReplicas: ready },
      });
    expect(eventsForChange(dep('1', 2, 0), dep('2', 2, 2), 1000, noOwner)).toEqual([]);
    const scaled = eventsForChange(dep('2', 2, 2), dep('3', 5, 2), 1000, noOwner)[0];
    expect(scaled?.type === 'spec-change' && scaled.data.changes).toEqual([{ path: 'replicas', from: 2, to: 5 }]);
  });
});

describe('Kubernetes Events', () => {
  it('emits at counts 1, 2, 4, 8… so repeats stay readable', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 16].map(shouldEmitEventCount)).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('becomes a timeline event on the involved object with its owner', () => {
    const e = eventFromKubernetesEvent(
      {
        metadata: { uid: 'e1', namespace: 'prod' },
        involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-1' },
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
        type: 'Warning',
        count: 4,
        lastTimestamp: '2026-01-01T00:00:00Z',
      },
      () => ({ kind: 'Deployment', name: 'web' }),
      () => [],
    );
    expect(e).toMatchObject({
      id: 'k8s-event:e1:4',
      type: 'k8s-event',
      severity: 'warning',
      kind: 'Pod',
      name: 'web-1',
      owner: { kind: 'Deployment', name: 'web' },
      summary: 'BackOff: Back-off restarting failed container (×4)',
    });
    expect(eventFromKubernetesEvent({ metadata: { uid: 'e1' }, count: 3 }, noOwner, () => [])).toBeNull();
  });

  it("keeps the involved object's namespace: a Node's events (stored in default) carry '', not default", () => {
    const ev = (involvedObject: Record<string, string>) =>
      eventFromKubernetesEvent(
        { metadata: { uid: 'n1', namespace: 'default' }, involvedObject, reason: 'NodeNotReady', count: 1 },
        noOwner,
        () => [],
      );
    expect(ev({ kind: 'Node', name: 'kwok-node-0' })).toMatchObject({
      kind: 'Node',
      namespace: '',
      name: 'kwok-node-0',
    });
    // A cluster-scoped kind stays cluster-wide even if a client filled in a namespace.
    expect(ev({ kind: 'Namespace', namespace: 'default', name: 'default' })?.namespace).toBe('');
    expect(ev({ kind: 'Pod', namespace: 'prod', name: 'web-1' })?.namespace).toBe('prod');
    // A namespaced object whose Event left the namespace out: cluster-wide only, not the Event's namespace.
    expect(ev({ kind: 'Pod', name: 'web-1' })?.namespace).toBe('');
  });
});
