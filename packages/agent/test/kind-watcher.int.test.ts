// The kind watcher against the real API server: a streaming list (WatchList)
// lists and then follows changes on the same watch; and its 410 Gone: a watch
// sent from resourceVersion 1, long compacted away, is answered "too old
// resource version"; the watcher must re-list (paged LIST, and streaming) and
// then see changes.
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { describe, expect, it } from 'vitest';
import {
  KindWatcher,
  apiServerSource,
  type ListMode,
  type ListWatchSource,
  type WatchParams,
} from '../src/watch/kind-watcher.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

/** Whether the API server answers a ConfigMap watch from resourceVersion 1 with 410 Gone (an ERROR event). */
async function watchFromRevisionOneIsGone(): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let abort: (() => void) | undefined;
    const finish = (gone: boolean): void => {
      if (settled) return;
      settled = true;
      abort?.();
      resolve(gone);
    };
    new k8s.Watch(kc)
      .watch(
        '/api/v1/configmaps',
        { resourceVersion: '1', timeoutSeconds: 2 },
        (type, obj: { code?: number }) => finish(type === 'ERROR' && obj.code === 410),
        (err: unknown) => finish(err instanceof Error && /410|Gone|too old/i.test(err.message)),
      )
      .then((ctrl) => {
        abort = () => ctrl.abort();
        if (settled) ctrl.abort();
      })
      .catch(() => finish(false));
    setTimeout(() => finish(false), 5000);
  });
}

/** A source over the real API server that records the requests and can send one watch from resourceVersion 1. */
function recordingSource(fromOne: (watchIndex: number) => boolean) {
  const real = apiServerSource(kc);
  const lists: string[] = [];
  const watches: WatchParams[] = [];
  const source: ListWatchSource = {
    list: (path, q) => {
      lists.push(q.toString());
      return real.list(path, q);
    },
    watch: (path, params, onEvent, done) => {
      const p = fromOne(watches.length) ? { ...params, resourceVersion: '1' } : params;
      watches.push(p);
      return real.watch(path, p, onEvent, done);
    },
  };
  return { source, lists, watches };
}

function configMapWatcher(ns: string, source: ListWatchSource, mode: ListMode, timeoutSeconds = 60) {
  const listed: string[] = [];
  const changes: string[] = [];
  let listEnds = 0;
  const w = new KindWatcher(
    kc,
    'ConfigMap',
    {
      onListStart: () => (listed.length = 0),
      onListPage: (objects) => {
        for (const o of objects) if (o.metadata?.namespace === ns) listed.push(o.metadata.name ?? '');
      },
      onListEnd: () => listEnds++,
      onChange: (type, o) => {
        if (o.metadata?.namespace === ns) changes.push(`${type} ${o.metadata.name ?? ''}`);
      },
    },
    pino({ level: 'silent' }),
    timeoutSeconds,
    source,
    mode,
  );
  return { w, listed, changes, listEnds: () => listEnds };
}

describe('kind watcher (real control plane)', () => {
  it('streams a list (WatchList) from the API server, then follows changes on the same watch', async () => {
    const ns = await testNamespace('kw-stream');
    for (const name of ['one', 'two', 'three'])
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    // The controller manager adds kube-root-ca.crt to a new namespace in its own time (late under CI load).
    await eventually('the namespace has its root CA config map', async () =>
      (await core.listNamespacedConfigMap({ namespace: ns })).items.some(
        (c) => c.metadata?.name === 'kube-root-ca.crt',
      ),
    );
    const { source, lists, watches } = recordingSource(() => false);
    const { w, listed, changes, listEnds } = configMapWatcher(ns, source, 'watch-list');
    w.start();
    try {
      await eventually('the streamed list', () => Promise.resolve(listEnds() === 1));
      expect(listed.sort()).toEqual(['kube-root-ca.crt', 'one', 'three', 'two']);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'four' } } });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'one' });
      await eventually('the changes seen', () =>
        Promise.resolve(changes.includes('ADDED four') && changes.includes('DELETED one')),
      );
      // One request did it all: no LIST, no second watch.
      expect(lists).toEqual([]);
      expect(watches).toHaveLength(1);
      expect(watches[0]).toMatchObject({ sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
      expect(w.listMode).toBe('watch-list');
    } finally {
      w.stop();
    }
  });

  // Up to two compaction intervals pass before revision 1 is gone on a young cluster.
  it('re-lists after the API server answers 410 Gone, then follows changes', { timeout: 240_000 }, async () => {
    const ns = await testNamespace('kw-gone');
    // A young cluster still has revision 1 in etcd: wait for the first compaction (every minute
    // here, see kwok-config.ts), after which the API server answers a watch from it with 410.
    await eventually('revision 1 compacted away', () => watchFromRevisionOneIsGone(), {
      timeoutMs: 200_000,
      intervalMs: 2000,
    });
    const real = apiServerSource(kc);
    const watchedFrom: string[] = [];
    const source: ListWatchSource = {
      list: (path, q) => real.list(path, q),
      watch: (path, params, onEvent, done) => {
        // The first watch asks for a version the API server has compacted.
        const p = watchedFrom.length === 0 ? { ...params, resourceVersion: '1' } : params;
        watchedFrom.push(p.resourceVersion ?? '');
        return real.watch(path, p, onEvent, done);
      },
    };
    const changes: string[] = [];
    let listEnds = 0;
    const w = new KindWatcher(
      kc,
      'ConfigMap',
      {
        onListStart: () => undefined,
        onListPage: () => undefined,
        onListEnd: () => listEnds++,
        onChange: (type, o) => {
          if (o.metadata?.namespace === ns) changes.push(`${type} ${o.metadata.name ?? ''}`);
        },
      },
      pino({ level: 'silent' }),
      60,
      source,
      'paged',
    );
    w.start();
    try {
      await eventually('a re-list after 410', () => Promise.resolve(w.lists >= 2));
      expect(watchedFrom[0]).toBe('1');
      expect(watchedFrom[1]).not.toBe('1');
      expect(listEnds).toBe(w.lists);
      await eventually('the second watch', () => Promise.resolve(watchedFrom.length >= 2));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after-gone' } } });
      await eventually('the change seen', () => Promise.resolve(changes.includes('ADDED after-gone')));
    } finally {
      w.stop();
    }
  });

  it('streams the list again after a resumed watch is answered 410 Gone', { timeout: 240_000 }, async () => {
    const ns = await testNamespace('kw-stream-gone');
    await eventually('revision 1 compacted away', () => watchFromRevisionOneIsGone(), {
      timeoutMs: 200_000,
      intervalMs: 2000,
    });
    // The streaming list times out after 1 s; the watch that resumes it asks for revision 1.
    const { source, lists, watches } = recordingSource((i) => i === 1);
    const { w, changes, listEnds } = configMapWatcher(ns, source, 'watch-list', 1);
    w.start();
    try {
      await eventually('a second streamed list after 410', () => Promise.resolve(w.lists >= 2));
      expect(watches[1]?.resourceVersion).toBe('1');
      expect(watches[2]).toMatchObject({ sendInitialEvents: true });
      expect(listEnds()).toBe(w.lists);
      expect(lists).toEqual([]);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after-gone' } } });
      await eventually('the change seen', () => Promise.resolve(changes.includes('ADDED after-gone')));
    } finally {
      w.stop();
    }
  });
});
