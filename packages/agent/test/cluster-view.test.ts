// The checks' view of the cluster keeps of each pod, node and ReplicaSet only
// the fields the checks read: on a big cluster that is what the agent's memory
// per object depends on.
import { describe, expect, it } from 'vitest';
import { ClusterView } from '../src/insights/cluster-view.js';

/** A pod as the API server sends it (kubelet-run, one PVC, the service account token volume). */
const apiPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'api-7d9f-abcde',
    generateName: 'api-7d9f-',
    namespace: 'shop',
    uid: 'pod-uid-1',
    resourceVersion: '12345',
    creationTimestamp: '2026-11-29T08:00:00Z',
    labels: { app: 'api', 'pod-template-hash': '7d9f' },
    annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-29T07:59:00Z' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7d9f', uid: 'rs-uid', controller: true }],
    managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
  },
  spec: {
    nodeName: 'node-1',
    serviceAccountName: 'default',
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'api-data' } },
      { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
    containers: [
      {
        name: 'app',
        image: 'registry.local/api:1.2',
        env: [{ name: 'SECRET_URL', value: 'postgres://…' }],
        ports: [{ containerPort: 8080 }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        livenessProbe: { httpGet: { path: '/live', port: 8080 } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        terminationMessagePath: '/dev/termination-log',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.1',
    podIP: '10.244.0.7',
    qosClass: 'Burstable',
    startTime: '2026-11-29T08:00:01Z',
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: '2026-11-29T08:00:01Z' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: '2026-11-29T08:00:01Z' },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-29T08:00:00Z', lastProbeTime: null },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'registry.local/api:1.2',
        imageID: 'registry.local/api@sha256:0123',
        containerID: 'containerd://abc',
        ready: false,
        started: true,
        restartCount: 3,
        state: { running: { startedAt: '2026-11-29T08:10:00Z' } },
        lastState: {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt: '2026-11-29T08:05:00Z',
            finishedAt: '2026-11-29T08:09:59Z',
            containerID: 'containerd://old',
          },
        },
      },
    ],
  },
};

describe('ClusterView', () => {
  it('keeps of a pod only what the checks read', () => {
    const view = new ClusterView();
    view.set('Pod', apiPod);
    expect(view.byUid('Pod', 'pod-uid-1')).toEqual({
      metadata: {
        name: 'api-7d9f-abcde',
        namespace: 'shop',
        uid: 'pod-uid-1',
        creationTimestamp: '2026-11-29T08:00:00Z',
      },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.local/api:1.2',
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'api-data' } }],
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-29T08:00:00Z' }],
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 3,
            state: { running: { startedAt: '2026-11-29T08:10:00Z' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-11-29T08:09:59Z' } },
          },
        ],
      },
    });
  });

  it('keeps of a node its conditions, cordon and allocatable, not its image list', () => {
    const view = new ClusterView();
    view.set('Node', {
      metadata: { name: 'node-1', uid: 'node-uid', labels: { 'kubernetes.io/os': 'linux' } },
      spec: { unschedulable: true, podCIDR: '10.244.0.0/24' },
      status: {
        allocatable: { cpu: '4', memory: '16Gi' },
        capacity: { cpu: '4', memory: '16Gi' },
        images: Array.from({ length: 50 }, (_, i) => ({ names: [`registry.local/img${i}:1`], sizeBytes: 1e8 })),
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' }],
      },
    });
    expect(view.byName('Node', '', 'node-1')).toEqual({
      metadata: { name: 'node-1', uid: 'node-uid' },
      spec: { unschedulable: true },
      status: {
        allocatable: { cpu: '4', memory: '16Gi' },
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' }],
      },
    });
  });

  it('finds objects by name after a list, a change and a removal', () => {
    const view = new ClusterView();
    const pod = (name: string, uid: string) => ({ ...apiPod, metadata: { ...apiPod.metadata, name, uid } });
    view.replace('Pod', [pod('a', 'u-a'), pod('b', 'u-b')]);
    view.set('Pod', pod('c', 'u-c'));
    view.remove('Pod', pod('a', 'u-a'));
    expect(view.byName('Pod', 'shop', 'a')).toBeUndefined();
    expect(view.byName('Pod', 'shop', 'b')?.metadata).toMatchObject({ uid: 'u-b' });
    expect(view.byName('Pod', 'shop', 'c')?.metadata).toMatchObject({ uid: 'u-c' });
    expect(view.byName('Pod', 'other', 'b')).toBeUndefined();
  });
});
