// The agent's inventory cache: lists and watch events in, inventory changes,
// snapshots and timeline events out; the owner and name lookups the timeline
// and exec guard bridge rely on.
import { describe, expect, it } from 'vitest';
import { TimelineEventInput, type InventoryItem, type ResourceKind } from '@wheelhouse/protocol';
import { InventoryCache } from '../src/inventory-cache.js';
import type { KubeObject } from '../src/projections.js';

const meta = (name: string, uid: string, rv: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'shop',
  uid,
  resourceVersion: rv,
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});
const ref = (kind: string, name: string, uid: string) => ({ apiVersion: 'v1', kind, name, uid, controller: true });

const deployment = (name: string, rv: string, image = 'web:1'): KubeObject => ({
  metadata: meta(name, `uid-${name}`, rv, { generation: 1 }),
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
  },
});
const configMap = (name: string, rv: string, uid = `uid-${name}`): KubeObject => ({
  metadata: meta(name, uid, rv),
  data: { key: 'v' },
});
const pod = (name: string, uid: string, owner?: ReturnType<typeof ref>): KubeObject => ({
  metadata: meta(name, uid, '1', owner ? { ownerReferences: [owner] } : {}),
  spec: { containers: [{ name: 'app', image: 'web:1' }] },
  status: { phase: 'Running' },
});

function cacheWithSink() {
  const sink = {
    upserts: [] as InventoryItem[],
    removes: [] as InventoryItem[],
    timeline: [] as TimelineEventInput[],
    relisted: [] as ResourceKind[],
  };
  const cache = new InventoryCache({
    upsert: (i) => sink.upserts.push(i),
    remove: (i) => sink.removes.push(i),
    timeline: (e) => sink.timeline.push(...e),
    relisted: (k) => sink.relisted.push(k),
  });
  return { cache, sink };
}

const summaries = (events: TimelineEventInput[]): string[] => events.map((e) => `${e.type}: ${e.summary}`);

describe('inventory cache', () => {
  it('takes the first list as the baseline: items and a snapshot request, no timeline events', () => {
    const { cache, sink } = cacheWithSink();
    expect(cache.listedKinds()).toEqual([]);
    cache.onList('ConfigMap', [configMap('a', '1'), configMap('b', '1')]);
    expect(cache.items('ConfigMap').map((i) => i.name)).toEqual(['a', 'b']);
    expect(cache.listedKinds()).toEqual(['ConfigMap']);
    expect(cache.count()).toBe(2);
    expect(cache.get('ConfigMap', 'shop', 'b')?.uid).toBe('uid-b');
    expect(sink.relisted).toEqual(['ConfigMap']);
    expect(sink.timeline).toEqual([]);
    expect(sink.upserts).toEqual([]);
  });

  it('keeps only compact projections of a paged list, and refuses a page without a list', () => {
    const { cache } = cacheWithSink();
    expect(() => cache.addListPage('ConfigMap', [configMap('a', '1')])).toThrow(/without beginList/);
    cache.beginList('ConfigMap');
    cache.addListPage('ConfigMap', [configMap('a', '1')]);
    cache.addListPage('ConfigMap', [configMap('b', '1')]);
    // Until the list ends, the previous state stays visible.
    expect(cache.items('ConfigMap')).toEqual([]);
    cache.endList('ConfigMap');
    const a = cache.get('ConfigMap', 'shop', 'a');
    expect(a).toMatchObject({ kind: 'ConfigMap', name: 'a', resourceVersion: '1' });
    // ConfigMaps are kept as key names, never values.
    expect(JSON.stringify(a)).not.toContain('"v"');
  });

  it('reports on a re-list what changed while the watch was away: created, changed and deleted', () => {
    const { cache, sink } = cacheWithSink();
    cache.onList('Deployment', [deployment('web', '1'), deployment('old', '1')], 1000);
    cache.onList('Deployment', [deployment('web', '2', 'web:2'), deployment('new', '1')], 2000);
    expect(summaries(sink.timeline).sort()).toEqual([
      'created: Deployment new created',
      'deleted: Deployment old deleted',
      expect.stringMatching(/^spec-change: Deployment web changed: .*web:1.*web:2/),
    ]);
    expect(cache.items('Deployment').map((i) => i.name)).toEqual(['web', 'new']);
    expect(cache.get('Deployment', 'shop', 'old')).toBeUndefined();
    expect(sink.relisted).toEqual(['Deployment', 'Deployment']);
  });

  it('turns watch events into upserts, removals and timeline events, and ignores a repeat of the same version', () => {
    const { cache, sink } = cacheWithSink();
    cache.onList('ConfigMap', []);
    cache.onChange('ConfigMap', 'ADDED', configMap('a', '1'));
    cache.onChange('ConfigMap', 'MODIFIED', configMap('a', '1')); // same resourceVersion: nothing new
    cache.onChange('ConfigMap', 'MODIFIED', configMap('a', '2'));
    expect(sink.upserts.map((i) => `${i.name}@${i.resourceVersion}`)).toEqual(['a@1', 'a@2']);
    // A DELETED event removes what the cache held (its last full projection).
    cache.onChange('ConfigMap', 'DELETED', { metadata: { name: 'a', namespace: 'shop', uid: 'uid-a' } });
    expect(sink.removes.map((i) => `${i.name}@${i.resourceVersion}`)).toEqual(['a@2']);
    expect(cache.get('ConfigMap', 'shop', 'a')).toBeUndefined();
    expect(summaries(sink.timeline)).toEqual(['created: ConfigMap a created', 'deleted: ConfigMap a deleted']);
  });

  it('keeps the name pointing at the newer object when an older one of the same name is deleted after it', () => {
    const { cache } = cacheWithSink();
    cache.onList('ConfigMap', [configMap('a', '1', 'uid-old')]);
    cache.onChange('ConfigMap', 'ADDED', configMap('a', '5', 'uid-new'));
    cache.onChange('ConfigMap', 'DELETED', configMap('a', '1', 'uid-old'));
    expect(cache.get('ConfigMap', 'shop', 'a')?.uid).toBe('uid-new');
  });

  it('resolves the workload a pod belongs to through ReplicaSets and Jobs', () => {
    const { cache } = cacheWithSink();
    cache.onList('ReplicaSet', [
      {
        metadata: meta('web-abc', 'uid-rs', '1', { ownerReferences: [ref('Deployment', 'web', 'uid-dep')] }),
        spec: { replicas: 1 },
      },
    ]);
    cache.onList('Job', [
      {
        metadata: meta('nightly-123', 'uid-job', '1', { ownerReferences: [ref('CronJob', 'nightly', 'uid-cj')] }),
        spec: {},
      },
    ]);
    cache.onList('Pod', [
      pod('web-abc-1', 'p1', ref('ReplicaSet', 'web-abc', 'uid-rs')),
      pod('nightly-123-x', 'p2', ref('Job', 'nightly-123', 'uid-job')),
      pod('db-0', 'p3', ref('StatefulSet', 'db', 'uid-sts')),
      pod('orphan-rs-1', 'p4', ref('ReplicaSet', 'unknown-rs', 'uid-unknown')),
      pod('bare', 'p5'),
    ]);
    const ownerOf = (name: string) => {
      const item = cache.get('Pod', 'shop', name);
      return item ? cache.owner(item) : 'no such pod';
    };
    expect(ownerOf('web-abc-1')).toEqual({ kind: 'Deployment', name: 'web' });
    expect(ownerOf('nightly-123-x')).toEqual({ kind: 'CronJob', name: 'nightly' });
    expect(ownerOf('db-0')).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(ownerOf('orphan-rs-1')).toEqual({ kind: 'ReplicaSet', name: 'unknown-rs' });
    expect(ownerOf('bare')).toBeUndefined();
    expect(cache.ownerRefsOf('Pod', 'shop', 'web-abc-1')).toMatchObject([{ kind: 'ReplicaSet', name: 'web-abc' }]);
    expect(cache.ownerRefsOf('Pod', 'shop', 'nobody')).toEqual([]);
  });

  it("puts a CronJob pod's events on the CronJob, in the shape the hub accepts", () => {
    const { cache, sink } = cacheWithSink();
    cache.onList('Job', [
      { metadata: meta('nightly-1', 'uid-job', '1', { ownerReferences: [ref('CronJob', 'nightly', 'uid-cj')] }) },
    ]);
    cache.onList('Pod', []);
    cache.onChange('Pod', 'ADDED', pod('nightly-1-x', 'uid-p', ref('Job', 'nightly-1', 'uid-job')));
    cache.onChange('Pod', 'DELETED', pod('nightly-1-x', 'uid-p', ref('Job', 'nightly-1', 'uid-job')));
    expect(sink.timeline.map((e) => [e.type, e.owner])).toEqual([
      ['pod-phase', { kind: 'CronJob', name: 'nightly' }],
      ['deleted', { kind: 'CronJob', name: 'nightly' }],
    ]);
    for (const e of sink.timeline) expect(TimelineEventInput.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });
});
