import { describe, expect, it } from 'vitest';
import { InventoryItem, RESOURCE_KIND_NAMES, type ResourceKind } from '@wheelhouse/protocol';
import { project, type KubeObject } from '../src/projections.js';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'shop',
  uid: `uid-${name}`,
  resourceVersion: '7',
  generation: 3,
  creationTimestamp: '2026-11-28T10:00:00Z',
  labels: { app: name },
  annotations: { 'deployment.kubernetes.io/revision': '4', team: 'web' },
  ...extra,
});
const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'app', image: 'web:2', env: [{ name: 'MODE', value: 'prod' }], resources: { limits: { cpu: '1' } } },
    ],
  },
};

/** One realistic object of every watched kind, with the fields each projection reads. */
const OBJECTS: Record<ResourceKind, KubeObject> = {
  Namespace: { metadata: meta('shop', { namespace: undefined }), status: { phase: 'Active' } },
  Node: {
    metadata: meta('n1', { namespace: undefined }),
    spec: { unschedulable: true, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '3800m' },
      nodeInfo: { kubeletVersion: 'v1.34.0' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    },
  },
  Pod: {
    metadata: meta('web-1', {
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true }],
      deletionTimestamp: '2026-11-28T11:00:00Z',
      annotations: {
        'exec-guard.wheelhouse.dev/termination-time': '2026-11-28T12:00:00Z',
      },
    }),
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'web:2' }], initContainers: [{ name: 'init' }] },
    status: {
      phase: 'Running',
      podIP: '10.1.0.5',
      qosClass: 'Burstable',
      startTime: '2026-11-28T10:00:01Z',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 2,
          state: { running: { startedAt: '2026-11-28T10:05:00Z' } },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-11-28T10:04:59Z' } },
        },
      ],
    },
  },
  Service: {
    metadata: meta('web'),
    spec: {
      type: 'NodePort',
      clusterIP: '10.96.0.10',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }],
    },
  },
  ConfigMap: { metadata: meta('settings'), data: { b: 'do-not-ship' }, binaryData: { a: 'AAAA' } },
  PersistentVolumeClaim: {
    metadata: meta('data'),
    spec: {
      storageClassName: 'fast',
      volumeName: 'pv-1',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    },
    status: { phase: 'Bound', capacity: { storage: '1Gi' } },
  },
  Deployment: {
    metadata: meta('web'),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate' }, template },
    status: {
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 3,
      observedGeneration: 3,
      conditions: [{ type: 'Available', status: 'True' }],
    },
  },
  ReplicaSet: {
    metadata: meta('web-abc', { labels: { 'pod-template-hash': 'abc' } }),
    spec: { replicas: 3, template },
    status: { readyReplicas: 3, availableReplicas: 3 },
  },
  StatefulSet: {
    metadata: meta('db'),
    spec: {
      replicas: 2,
      serviceName: 'db',
      template,
      updateStrategy: { type: 'RollingUpdate' },
      volumeClaimTemplates: [{ metadata: { name: 'data' } }],
    },
    status: { readyReplicas: 2, currentRevision: 'db-1', updateRevision: 'db-2' },
  },
  DaemonSet: {
    metadata: meta('agent'),
    spec: { template },
    status: { desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
  },
  Job: {
    metadata: meta('nightly-1', { ownerReferences: [{ kind: 'CronJob', name: 'nightly', uid: 'cj1' }] }),
    spec: { completions: 1, parallelism: 1, backoffLimit: 2, template },
    status: {
      active: 1,
      startTime: '2026-11-28T00:00:00Z',
      conditions: [{ type: 'Complete', status: 'False' }],
    },
  },
  CronJob: {
    metadata: meta('nightly'),
    spec: { schedule: '0 0 * * *', concurrencyPolicy: 'Forbid', jobTemplate: { spec: { template } } },
    status: { lastScheduleTime: '2026-11-28T00:00:00Z', active: [{ name: 'nightly-1' }] },
  },
  Ingress: {
    metadata: meta('web'),
    spec: { ingressClassName: 'nginx', rules: [{ host: 'shop.example' }, {}], tls: [{ hosts: ['shop.example'] }] },
  },
  HorizontalPodAutoscaler: {
    metadata: meta('web'),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
    status: { currentReplicas: 3, desiredReplicas: 4 },
  },
  PodDisruptionBudget: {
    metadata: meta('web'),
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
    status: { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, expectedPods: 3 },
  },
};

/** What travels over the link: JSON. */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('projections match the protocol schema of their kind', () => {
  it.each(RESOURCE_KIND_NAMES)('%s: the hub accepts the item and keeps every field', (kind) => {
    const item = project(kind, OBJECTS[kind]);
    expect(item.kind).toBe(kind);
    // zod drops unknown keys: equality after parsing means the schema names every field the agent sends.
    expect(InventoryItem.parse(wire(item))).toEqual(wire(item));
  });

  it('keeps the fields the console and the actions read', () => {
    const pod = project('Pod', OBJECTS.Pod);
    expect(pod.kind === 'Pod' && pod.summary).toMatchObject({
      phase: 'Running',
      ready: true,
      restarts: 2,
      containers: [{ name: 'app', state: 'running', lastTerminated: { reason: 'OOMKilled', exitCode: 137 } }],
    });
    expect(pod.deletingSince).toBe(Date.parse('2026-11-28T11:00:00Z'));
    const cm = project('ConfigMap', OBJECTS.ConfigMap);
    expect(cm.summary).toEqual({ keys: ['a', 'b'] });
    expect(JSON.stringify(cm)).not.toContain('do-not-ship');
    const svc = project('Service', OBJECTS.Service);
    expect(svc.kind === 'Service' && svc.summary.ports[0]).toEqual({
      name: 'http',
      port: 80,
      targetPort: 'http',
      protocol: 'TCP',
      nodePort: 30080,
    });
  });

  it('rejects a summary that does not match its kind', () => {
    const asNode = wire({ ...project('Pod', OBJECTS.Pod), kind: 'Node' });
    expect(InventoryItem.safeParse(asNode).success).toBe(false);
    expect(InventoryItem.safeParse(wire(project('Pod', OBJECTS.Pod))).success).toBe(true);
  });
});
