import { describe, expect, it } from 'vitest';
import type { ContainerSummary, InventoryItem, InventoryItemOf } from '../src/api/types.js';
import { raiseMemoryLimit } from '../src/data/manifest.js';
import { doubleQuantity, podReasons, workloadReasons } from '../src/data/why.js';

const NOW = 1_800_000_000_000;
const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  name: 'worker',
  ready: false,
  restartCount: 0,
  state: 'running',
  reason: null,
  exitCode: null,
  lastTerminated: null,
  ...over,
});
const pod = (
  name: string,
  over: Partial<InventoryItemOf<'Pod'>['summary']>,
  createdAt = NOW - 60_000,
): InventoryItemOf<'Pod'> => ({
  kind: 'Pod',
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt,
  labels: {},
  ownerRefs: [],
  summary: {
    phase: 'Running',
    ready: false,
    nodeName: 'n1',
    podIP: null,
    qosClass: null,
    startTime: null,
    reason: null,
    restarts: 0,
    containers: [],
    initContainers: [],
    ...over,
  },
});

describe('why a pod is unhealthy', () => {
  it("gives the scheduler's message for a Pending pod", () => {
    const p = pod('ledger-db-0', {
      phase: 'Pending',
      conditionDetails: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
          lastTransitionTime: NOW - 5_000,
        },
      ],
    });
    expect(podReasons(p, NOW)).toEqual([
      {
        level: 'err',
        title: 'Not scheduled: Unschedulable',
        detail: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
        since: NOW - 5_000,
      },
    ]);
  });

  it('names a crash loop with the last termination, and an OOM kill with the memory request and limit', () => {
    const p = pod('payments-worker-1', {
      containers: [
        container({
          state: 'waiting',
          reason: 'CrashLoopBackOff',
          message: 'back-off 40s restarting failed container=worker',
          restartCount: 4,
          resources: { requests: { memory: '128Mi' }, limits: { memory: '256Mi' } },
          lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: NOW - 30_000 },
        }),
      ],
    });
    const r = podReasons(p, NOW);
    expect(r.map((x) => x.title)).toEqual([
      'worker: CrashLoopBackOff',
      'worker: last terminated OOMKilled (exit 137), restarted 4×',
    ]);
    expect(r[0]?.detail).toBe('back-off 40s restarting failed container=worker');
    expect(r[1]?.oom).toEqual({ container: 'worker', request: '128Mi', limit: '256Mi' });
  });

  it('says nothing about a healthy pod, nor about an old termination of a ready container', () => {
    const p = pod('ok', {
      ready: true,
      containers: [
        container({
          ready: true,
          restartCount: 1,
          lastTerminated: { reason: 'Error', exitCode: 1, finishedAt: NOW - 3 * 3600_000 },
        }),
      ],
    });
    expect(podReasons(p, NOW)).toEqual([]);
  });
});

describe('why a workload is unhealthy', () => {
  it("lists its failing conditions, then the newest unhealthy pod's reasons with the pod's name", () => {
    const w: InventoryItem = {
      kind: 'Deployment',
      namespace: 'shop',
      name: 'storefront',
      uid: 'u',
      resourceVersion: '1',
      createdAt: 0,
      labels: {},
      ownerRefs: [],
      summary: {
        replicas: 2,
        readyReplicas: 0,
        availableReplicas: 0,
        updatedReplicas: 2,
        paused: false,
        images: [],
        conditions: { Progressing: 'False', Available: 'False' },
        conditionDetails: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "storefront-7d9" has timed out progressing.',
            lastTransitionTime: NOW - 1000,
          },
        ],
        spec: {},
      },
    };
    const old = pod('storefront-old', { containers: [container({ state: 'waiting', reason: 'ErrImagePull' })] }, 1);
    const newest = pod('storefront-new', { containers: [container({ state: 'waiting', reason: 'ImagePullBackOff' })] });
    const r = workloadReasons(w, [old, newest], NOW);
    expect(r.map((x) => [x.title, x.pod])).toEqual([
      ['Progressing: ProgressDeadlineExceeded', undefined],
      ['worker: ImagePullBackOff', 'storefront-new'],
    ]);
  });
});

describe('Edit resources: the suggested memory limit', () => {
  it('doubles Kubernetes quantities', () => {
    expect(['256Mi', '1Gi', '1.5Gi', '500M', '1000', 'lots'].map(doubleQuantity)).toEqual([
      '512Mi',
      '2Gi',
      '3Gi',
      '1000M',
      '2000',
      null,
    ]);
  });

  it("raises the named container's limit in a Deployment, keeping everything else", () => {
    const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-worker
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: s
        - name: worker
          image: w # the worker
          resources:
            requests:
              memory: 128Mi
            limits:
              memory: 256Mi
`;
    const r = raiseMemoryLimit(yaml, 'worker', doubleQuantity);
    expect(r).toMatchObject({ container: 'worker', from: '256Mi', to: '512Mi' });
    expect(r?.text).toContain('memory: 512Mi');
    expect(r?.text).toContain('memory: 128Mi');
    expect(r?.text).toContain('# the worker');
    expect(raiseMemoryLimit(yaml, 'nope', doubleQuantity)).toBeNull();
    expect(raiseMemoryLimit(yaml, 'sidecar', doubleQuantity)).toBeNull();
  });
});
