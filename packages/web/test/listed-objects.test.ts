// applyListed (data/listed-objects.ts): how "Used by" and a Deployment's
// ReplicaSets, read from one namespace (and owner), follow the feed. The
// Chromium test (pod-page-reads.int) runs it against a hub and a cluster.
import { describe, expect, it } from 'vitest';
import type { InventoryItem } from '../src/api/types.js';
import { applyListed, type ListedKey } from '../src/data/listed-objects.js';

const item = (kind: string, namespace: string, name: string, owner?: string, rv = '1'): InventoryItem =>
  ({
    kind,
    namespace,
    name,
    uid: `uid-${kind}-${namespace}-${name}`,
    resourceVersion: rv,
    createdAt: 0,
    labels: {},
    ownerRefs: owner ? [{ kind: owner.split('/')[0], name: owner.split('/')[1], uid: `uid-${owner}` }] : [],
    summary: {},
  }) as unknown as InventoryItem;

const workloads: ListedKey[] = [
  { kind: 'Deployment', namespace: 'shop' },
  { kind: 'CronJob', namespace: 'shop' },
];
const replicaSets: ListedKey[] = [{ kind: 'ReplicaSet', namespace: 'shop', owner: 'Deployment/api' }];

describe('applyListed', () => {
  it("adds a new object of the keys first, changes one in place, and ignores other kinds and namespaces'", () => {
    const api = item('Deployment', 'shop', 'api');
    const held = [api];
    const web = item('Deployment', 'shop', 'web');
    expect(applyListed(held, workloads, [web], [])).toEqual([web, api]);
    const changed = item('Deployment', 'shop', 'api', undefined, '2');
    expect(applyListed(held, workloads, [changed], [])).toEqual([changed]);
    const others = [item('Deployment', 'elsewhere', 'web'), item('Pod', 'shop', 'api-1'), item('Job', 'shop', 'j')];
    expect(applyListed(held, workloads, others, [])).toBe(held);
  });

  it('takes away a deleted object, and leaves the list as it was for a delete of another', () => {
    const api = item('Deployment', 'shop', 'api');
    const cron = item('CronJob', 'shop', 'nightly');
    const held = [api, cron];
    expect(applyListed(held, workloads, [], [{ kind: 'CronJob', uid: cron.uid }])).toEqual([api]);
    expect(applyListed(held, workloads, [], [{ kind: 'Pod', uid: 'uid-other' }])).toBe(held);
  });

  it("keeps an owner's objects only: a new ReplicaSet of the Deployment joins, one whose owner changed leaves", () => {
    const rs1 = item('ReplicaSet', 'shop', 'api-1', 'Deployment/api');
    const held = [rs1];
    const rs2 = item('ReplicaSet', 'shop', 'api-2', 'Deployment/api');
    expect(applyListed(held, replicaSets, [rs2], [])).toEqual([rs2, rs1]);
    expect(applyListed(held, replicaSets, [item('ReplicaSet', 'shop', 'web-1', 'Deployment/web')], [])).toBe(held);
    const orphaned = item('ReplicaSet', 'shop', 'api-1', undefined, '2');
    expect(applyListed(held, replicaSets, [orphaned], [])).toEqual([]);
  });

  it("keeps a Service's pods by its selector: a pod labelled to match joins, one relabelled away leaves", () => {
    const servicePods: ListedKey[] = [{ kind: 'Pod', namespace: 'shop', labels: { app: 'web', tier: 'front' } }];
    const pod = (name: string, labels: Record<string, string>, rv = '1'): InventoryItem => ({
      ...item('Pod', 'shop', name, undefined, rv),
      labels,
    });
    const a = pod('a', { app: 'web', tier: 'front', extra: 'x' });
    const held = [a];
    const b = pod('b', { app: 'web', tier: 'front' });
    expect(applyListed(held, servicePods, [b], [])).toEqual([b, a]);
    // Only some of the terms, or the value under another key: not the Service's.
    expect(
      applyListed(held, servicePods, [pod('c', { app: 'web' }), pod('d', { role: 'web', tier: 'front' })], []),
    ).toBe(held);
    expect(applyListed(held, servicePods, [pod('a', { app: 'api', tier: 'front' }, '2')], [])).toEqual([]);
  });

  it("keeps a Service's workloads by their pod template: one changed to match joins, one changed away leaves", () => {
    const sel = { app: 'web', tier: 'front' };
    const keys: ListedKey[] = [
      { kind: 'Deployment', namespace: 'shop', templateLabels: sel },
      { kind: 'CronJob', namespace: 'shop', templateLabels: sel },
    ];
    // As the agent projects them: the pod template (a CronJob's job template's too) in summary.spec.template.
    const workload = (
      kind: string,
      name: string,
      template: Record<string, string>,
      rv = '1',
      labels: Record<string, string> = {},
    ): InventoryItem =>
      ({
        ...item(kind, 'shop', name, undefined, rv),
        labels,
        summary: { spec: { template: { labels: template } } },
      }) as unknown as InventoryItem;
    const web = workload('Deployment', 'web', { ...sel, version: 'v2' });
    const held = [web];
    const nightly = workload('CronJob', 'nightly', sel);
    expect(applyListed(held, keys, [nightly], [])).toEqual([nightly, web]);
    // The object's own labels are not its template's; half the selector; another kind with the template.
    const labelled = workload('Deployment', 'labelled', { app: 'other' }, '1', sel);
    const half = workload('Deployment', 'half', { app: 'web' });
    const job = workload('Job', 'migrate', sel);
    expect(applyListed(held, keys, [labelled, half, job], [])).toBe(held);
    // A template changed to match joins; the held one changed away leaves.
    const halfNow = workload('Deployment', 'half', sel, '2');
    expect(applyListed(held, keys, [halfNow], [])).toEqual([halfNow, web]);
    expect(applyListed(held, keys, [workload('Deployment', 'web', { app: 'web' }, '2')], [])).toEqual([]);
  });
});
