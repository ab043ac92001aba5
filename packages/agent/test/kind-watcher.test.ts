// The kind watcher's list/watch loop, driven by a scripted source: it resumes
// the watch from the list's (or the last bookmark's) resourceVersion, re-lists
// when the API server answers 410 Gone (as a watch ERROR event or as the watch
// request's status), and starts a paginated list over when its continue token
// expired. kind-watcher.int.test.ts gets a real 410 from the API server.
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeResponse } from '../src/kube-http.js';
import type { KubeObject } from '../src/projections.js';
import {
  KindWatcher,
  listModeFor,
  type ListBody,
  type ListMode,
  type ListWatchSource,
  type WatchParams,
} from '../src/watch/kind-watcher.js';
import { WatchRefused } from '../src/kube-http.js';

const pod = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: rv },
});
const page = (items: KubeObject[], resourceVersion: string, cont?: string): KubeResponse<ListBody> => ({
  status: 200,
  body: { items, metadata: { resourceVersion, ...(cont ? { continue: cont } : {}) } },
});
const gone: KubeResponse<ListBody> = {
  status: 410,
  body: { items: [], metadata: {} },
};

class ScriptedSource implements ListWatchSource {
  readonly lists: string[] = [];
  readonly watches: WatchParams[] = [];
  private watch_: { onEvent: (phase: string, obj: unknown) => void; done: (err: unknown) => void } | undefined;

  constructor(private readonly answers: KubeResponse<ListBody>[]) {}

  list(_path: string, query: URLSearchParams): Promise<KubeResponse<ListBody>> {
    this.lists.push(query.toString());
    const a = this.answers.shift();
    return a ? Promise.resolve(a) : Promise.reject(new Error('no more list answers scripted'));
  }

  watch(
    _path: string,
    params: WatchParams,
    onEvent: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.watches.push(params);
    const ac = new AbortController();
    ac.signal.addEventListener('abort', () => done(Object.assign(new Error('aborted'), { name: 'AbortError' })));
    this.watch_ = { onEvent, done };
    return Promise.resolve(ac);
  }

  event(phase: string, obj: unknown): void {
    this.watch_?.onEvent(phase, obj);
  }

  end(err: unknown): void {
    this.watch_?.done(err);
  }
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function watcherOn(source: ScriptedSource, mode: ListMode = 'paged') {
  const calls: string[] = [];
  const w = new KindWatcher(
    new k8s.KubeConfig(),
    'Pod',
    {
      onListStart: () => calls.push('list-start'),
      onListPage: (objects) => calls.push(`page ${objects.map((o) => o.metadata?.name).join(',')}`),
      onListEnd: () => calls.push('list-end'),
      onChange: (type, o) => calls.push(`${type} ${o.metadata?.name ?? ''}`),
    },
    pino({ level: 'silent' }),
    300,
    source,
    mode,
  );
  return { w, calls };
}

describe('kind watcher', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('watches from the list resourceVersion and re-lists when a watch event says 410 Gone', async () => {
    const source = new ScriptedSource([page([pod('a', '5')], '10'), page([pod('a', '5'), pod('b', '12')], '20')]);
    const { w, calls } = watcherOn(source);
    stop = () => w.stop();
    w.start();
    await until('the first watch', () => source.watches.length === 1);
    expect(source.watches[0]).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: true });

    source.event('ADDED', pod('b', '12'));
    source.event('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    await until('the second watch', () => source.watches.length === 2);

    expect(calls).toEqual(['list-start', 'page a', 'list-end', 'ADDED b', 'list-start', 'page a,b', 'list-end']);
    expect(w.lists).toBe(2);
    // The new watch starts from the re-list, not from the expired version.
    expect(source.watches[1]?.resourceVersion).toBe('20');
  });

  it('re-lists when the watch request itself answers 410', async () => {
    const source = new ScriptedSource([page([pod('a', '5')], '10'), page([], '30')]);
    const { w, calls } = watcherOn(source);
    stop = () => w.stop();
    w.start();
    await until('the first watch', () => source.watches.length === 1);
    source.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await until('the second watch', () => source.watches.length === 2);
    expect(w.lists).toBe(2);
    expect(calls.slice(-3)).toEqual(['list-start', 'page ', 'list-end']);
    expect(source.watches[1]?.resourceVersion).toBe('30');
  });

  it('resumes an ended watch from the last bookmark without listing again', async () => {
    const source = new ScriptedSource([page([pod('a', '5')], '10')]);
    const { w, calls } = watcherOn(source);
    stop = () => w.stop();
    w.start();
    await until('the first watch', () => source.watches.length === 1);
    source.event('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '15' } });
    source.end(null);
    await until('the resumed watch', () => source.watches.length === 2);
    expect(source.watches[1]?.resourceVersion).toBe('15');
    expect(w.lists).toBe(1);
    expect(calls).toEqual(['list-start', 'page a', 'list-end']); // a bookmark is not a change
  });

  it('starts a paginated list over when its continue token expired', async () => {
    const source = new ScriptedSource([
      page([pod('a', '5')], '10', 'token-1'),
      gone,
      page([pod('a', '5')], '11', 'token-2'),
      page([pod('b', '6')], '11'),
    ]);
    const { w, calls } = watcherOn(source);
    stop = () => w.stop();
    w.start();
    await until('the watch', () => source.watches.length === 1);
    expect(source.lists).toEqual([
      'limit=500',
      'limit=500&continue=token-1',
      'limit=500',
      'limit=500&continue=token-2',
    ]);
    expect(calls).toEqual(['list-start', 'page a', 'list-start', 'page a', 'page b', 'list-end']);
    expect(source.watches[0]?.resourceVersion).toBe('11');
  });

  it('streams a list (WatchList): pages from the initial events, the list ends at the bookmark, changes follow on the same watch', async () => {
    const source = new ScriptedSource([]);
    const { w, calls } = watcherOn(source, 'watch-list');
    stop = () => w.stop();
    w.start();
    await until('the streaming list', () => source.watches.length === 1);
    expect(source.watches[0]).toMatchObject({ sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
    expect(source.watches[0]?.resourceVersion).toBeUndefined();
    for (let i = 0; i < 501; i++) source.event('ADDED', pod(`p${i}`, String(100 + i)));
    source.event('BOOKMARK', {
      kind: 'Pod',
      metadata: { resourceVersion: '700', annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
    source.event('MODIFIED', pod('p1', '701'));
    source.end(null); // the watch times out: resumed from the last version seen, no list again
    await until('the resumed watch', () => source.watches.length === 2);
    expect(source.watches[1]).toMatchObject({ resourceVersion: '701' });
    expect(source.watches[1]?.sendInitialEvents).toBeUndefined();
    expect(source.lists).toEqual([]);
    expect(w.lists).toBe(1);
    expect(calls.map((c) => (c.startsWith('page') ? `page of ${c.split(',').length}` : c))).toEqual([
      'list-start',
      'page of 500',
      'page of 1',
      'list-end',
      'MODIFIED p1',
    ]);
  });

  it('lists in pages when the API server refuses a streaming list, and when one ends before its bookmark', async () => {
    for (const refuse of [new WatchRefused(422, 'sendInitialEvents is forbidden'), null]) {
      const source = new ScriptedSource([page([pod('a', '5')], '10')]);
      const { w, calls } = watcherOn(source, 'watch-list');
      stop = () => w.stop();
      w.start();
      await until('the streaming list', () => source.watches.length === 1);
      source.event('ADDED', pod('a', '5'));
      source.end(refuse);
      await until('the paged list and its watch', () => source.watches.length === 2);
      expect(source.lists).toEqual(['limit=500']);
      expect(source.watches[1]).toMatchObject({ resourceVersion: '10' });
      expect(w.listMode).toBe('paged');
      expect(calls.filter((c) => c === 'list-end')).toHaveLength(1);
      expect(calls.slice(-3)).toEqual(['list-start', 'page a', 'list-end']);
      w.stop();
    }
  });

  it('streams lists from Kubernetes 1.32 on, pages them before', () => {
    expect(listModeFor('v1.35.4')).toBe('watch-list');
    expect(listModeFor('v1.32.0-gke.1')).toBe('watch-list');
    expect(listModeFor('v1.31.9')).toBe('paged');
    expect(listModeFor('v1.26.0')).toBe('paged');
    expect(listModeFor('')).toBe('paged');
  });
});
