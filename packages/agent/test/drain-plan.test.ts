// drain's plan (actions/drain-plan.ts): which pods are evicted, skipped or block.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/projections.js';
import { planDrain } from '../src/actions/drain-plan.js';

describe('drain plan', () => {
  const pod = (
    name: string,
    extra: Partial<KubeObject> & { owner?: string; phase?: string; emptyDir?: boolean },
  ): KubeObject => ({
    metadata: {
      name,
      namespace: 'n',
      ...(extra.owner ? { ownerReferences: [{ kind: extra.owner, name: 'o', uid: 'u', controller: true }] } : {}),
      ...(extra.metadata ?? {}),
    },
    spec: extra.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {},
    status: { phase: extra.phase ?? 'Running' },
  });
  const pods = [
    pod('rs', { owner: 'ReplicaSet' }),
    pod('ds', { owner: 'DaemonSet' }),
    pod('mirror', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }),
    pod('bare', {}),
    pod('done', { phase: 'Succeeded' }),
    pod('scratch', { owner: 'ReplicaSet', emptyDir: true }),
  ];
  const names = (l: { pod?: KubeObject; metadata?: KubeObject['metadata'] }[]) =>
    l.map((x) => (x.pod ?? (x as KubeObject)).metadata?.name);

  it('skips DaemonSet and mirror pods and stops at unmanaged pods and emptyDir data', () => {
    const plan = planDrain(pods, { force: false, deleteEmptyDirData: false });
    expect(names(plan.evict)).toEqual(['rs', 'done']);
    expect(names(plan.skipped)).toEqual(['ds', 'mirror']);
    expect(names(plan.blockers)).toEqual(['bare', 'scratch']);
  });

  it('evicts them with force and deleteEmptyDirData', () => {
    const plan = planDrain(pods, { force: true, deleteEmptyDirData: true });
    expect(names(plan.evict)).toEqual(['rs', 'bare', 'done', 'scratch']);
    expect(plan.blockers).toEqual([]);
  });
});
