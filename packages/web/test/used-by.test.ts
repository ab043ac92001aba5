import { describe, expect, it } from 'vitest';
import type { InventoryItem, InventoryItemOf } from '../src/api/types.js';
import { rankSearch } from '@wheelhouse/protocol/core';
import { claimOwner, claimsOf, serviceBackends, workloadsUsing } from '../src/data/used-by.js';

const meta = (name: string, labels: Record<string, string> = {}) => ({
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt: 0,
  labels,
  ownerRefs: [],
});
const deployment = (name: string, template: Record<string, unknown>) =>
  ({
    ...meta(name),
    kind: 'Deployment',
    summary: {
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      paused: false,
      images: [],
      conditions: {},
      spec: { template },
    },
  }) as InventoryItem;
const sts = (name: string, claimTemplates: string[]) =>
  ({
    ...meta(name),
    kind: 'StatefulSet',
    summary: {
      replicas: 2,
      readyReplicas: 0,
      images: [],
      spec: { volumeClaimTemplates: claimTemplates, template: { labels: { app: name } } },
    },
  }) as InventoryItemOf<'StatefulSet'>;
const pvc = (name: string) =>
  ({
    ...meta(name),
    kind: 'PersistentVolumeClaim',
    summary: { phase: 'Pending' },
  }) as InventoryItemOf<'PersistentVolumeClaim'>;

describe('used by', () => {
  const items = [
    deployment('api', {
      labels: { app: 'api' },
      containers: [
        { name: 'web', envFrom: [{ configMapRef: { name: 'api-config' } }] },
        { name: 'side', env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'flags', key: 'mode' } } }] },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'api-config' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'api-data' } },
      ],
    }),
    deployment('worker', { labels: { app: 'worker' }, containers: [{ name: 'w' }] }),
  ];

  it('finds the workloads that mount or read a ConfigMap, and how', () => {
    expect(workloadsUsing(items, 'ConfigMap', 'shop', 'api-config')).toEqual([
      { kind: 'Deployment', namespace: 'shop', name: 'api', how: 'volume cfg, envFrom in web' },
    ]);
    expect(workloadsUsing(items, 'ConfigMap', 'shop', 'flags')).toEqual([
      { kind: 'Deployment', namespace: 'shop', name: 'api', how: 'env MODE in side' },
    ]);
    expect(workloadsUsing(items, 'ConfigMap', 'other', 'api-config')).toEqual([]);
    expect(workloadsUsing(items, 'PersistentVolumeClaim', 'shop', 'api-data').map((r) => r.name)).toEqual(['api']);
  });

  it("names the StatefulSet that made a claim, and lists a StatefulSet's claims by ordinal", () => {
    const ledger = sts('ledger-db', ['data']);
    expect(claimOwner('data-ledger-db-1', [ledger])).toMatchObject({ kind: 'StatefulSet', name: 'ledger-db' });
    expect(claimOwner('data-ledger-db-x', [ledger])).toBeUndefined();
    expect(
      claimsOf(ledger, [pvc('data-ledger-db-10'), pvc('data-ledger-db-2'), pvc('other'), pvc('data-ledger-dbx-0')]).map(
        (c) => c.name,
      ),
    ).toEqual(['data-ledger-db-2', 'data-ledger-db-10']);
  });

  it("shows a Service's pods and the workloads that make them", () => {
    const svc = {
      ...meta('api'),
      kind: 'Service',
      summary: { selector: { app: 'api' }, ports: [] },
    } as InventoryItemOf<'Service'>;
    const pod = {
      ...meta('api-1', { app: 'api', 'pod-template-hash': 'x' }),
      kind: 'Pod',
      summary: {
        phase: 'Running',
        ready: true,
        nodeName: null,
        podIP: null,
        qosClass: null,
        startTime: null,
        reason: null,
        restarts: 0,
        containers: [],
        initContainers: [],
      },
    } as InventoryItemOf<'Pod'>;
    const b = serviceBackends(svc, [...items, pod]);
    expect(b.pods.map((p) => p.name)).toEqual(['api-1']);
    expect(b.workloads.map((w) => [w.name, w.how])).toEqual([['api', 'selector app=api']]);
  });

  it("matches a CronJob by its job template's pod template, and never by a workload's own labels", () => {
    const svc = {
      ...meta('web'),
      kind: 'Service',
      summary: { selector: { app: 'web' }, ports: [] },
    } as InventoryItemOf<'Service'>;
    const cron = (name: string, template: Record<string, string>, labels: Record<string, string> = {}) =>
      ({
        ...meta(name, labels),
        kind: 'CronJob',
        summary: {
          suspend: false,
          lastScheduleTime: null,
          lastSuccessfulTime: null,
          active: 0,
          images: [],
          spec: { template: { labels: template } },
        },
      }) as InventoryItem;
    const labelledOnly = { ...deployment('labelled', { labels: { app: 'other' } }), labels: { app: 'web' } };
    const b = serviceBackends(svc, [
      cron('nightly', { app: 'web' }),
      cron('weekly', { app: 'x' }, { app: 'web' }),
      labelledOnly,
    ]);
    expect(b.workloads.map((w) => `${w.kind}/${w.name}`)).toEqual(['CronJob/nightly']);
  });
});

describe('search (the protocol ranking the hub answers with) understands kubectl short names', () => {
  it('lists claims for "pvc", and narrows with a name', () => {
    const all = [pvc('ledger-data'), pvc('cache'), deployment('pvc-cleaner', {})];
    expect(rankSearch(all, 'pvc').map((i) => `${i.kind}/${i.name}`)).toEqual(
      expect.arrayContaining(['PersistentVolumeClaim/cache', 'PersistentVolumeClaim/ledger-data']),
    );
    expect(rankSearch(all, 'pvc ledger').map((i) => i.name)).toEqual(['ledger-data']);
    expect(rankSearch(all, 'deploy pvc').map((i) => i.name)).toEqual(['pvc-cleaner']);
  });
});
