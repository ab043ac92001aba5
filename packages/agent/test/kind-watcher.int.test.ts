// The kind watcher against the real API server's 410 Gone: its first watch is
// sent from resourceVersion 1, long compacted away, so the API server answers
// "too old resource version"; the watcher must re-list and then see changes.
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { describe, expect, it } from 'vitest';
import { KindWatcher, apiServerSource, type ListWatchSource } from '../src/watch/kind-watcher.js';

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

describe('kind watcher (real control plane)', () => {
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
        watchedFrom.push(p.resourceVersion);
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
});
