import { describe, expect, it } from 'vitest';
import type { InventoryItem, InventoryItemOf } from '../src/api/types.js';
import { restartsOf, workloadOf } from '../src/data/ownership.js';

const base = (name: string, owner?: { kind: string; name: string }) => ({
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt: 0,
  labels: {},
  ownerRefs: owner ? [{ ...owner, uid: `uid-${owner.name}` }] : [],
});
const pod = (name: string, owner: { kind: string; name: string }, restarts = 0): InventoryItemOf<'Pod'> => ({
  ...base(name, owner),
  kind: 'Pod',
  summary: {
    phase: 'Running',
    ready: true,
    nodeName: null,
    podIP: null,
    qosClass: null,
    startTime: null,
    reason: null,
    restarts,
    containers: [],
    initContainers: [],
  },
});
const rs = (name: string, deployment: string): InventoryItem => ({
  ...base(name, { kind: 'Deployment', name: deployment }),
  kind: 'ReplicaSet',
  summary: { replicas: 1, readyReplicas: 1, availableReplicas: 1, images: [] },
});
const job = (name: string, cronJob?: string): InventoryItem => ({
  ...base(name, cronJob ? { kind: 'CronJob', name: cronJob } : undefined),
  kind: 'Job',
  summary: {
    active: 0,
    succeeded: 1,
    failed: 0,
    suspend: false,
    startTime: null,
    completionTime: null,
    conditions: {},
    images: [],
    spec: {},
  },
});

describe('pods of a workload in the console', () => {
  const replicaSets = [rs('web-abc', 'web')];
  const jobs = [job('nightly-1', 'nightly'), job('once')];
  const pods = [
    pod('web-abc-1', { kind: 'ReplicaSet', name: 'web-abc' }, 2),
    pod('nightly-1-x', { kind: 'Job', name: 'nightly-1' }, 1),
    pod('once-x', { kind: 'Job', name: 'once' }),
    pod('db-0', { kind: 'StatefulSet', name: 'db' }),
  ];

  it('names the workload a pod belongs to, following ReplicaSet → Deployment and Job → CronJob', () => {
    expect(pods.map((p) => workloadOf(p, replicaSets, jobs))).toEqual([
      { kind: 'Deployment', name: 'web' },
      { kind: 'CronJob', name: 'nightly' },
      { kind: 'Job', name: 'once' },
      { kind: 'StatefulSet', name: 'db' },
    ]);
  });

  it('sums the restarts of pods', () => {
    expect(restartsOf(pods)).toBe(3);
  });
});
