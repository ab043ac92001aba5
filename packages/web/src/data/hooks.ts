// React access to the live cluster copies and to one-off API reads.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { api, errorText } from '../api/client.js';
import { ofKind, type ResourceKind } from '@wheelhouse/protocol/core';
import type { ClusterDetail, CommandDetail, InventoryItem, InventoryItemOf, TimelineEvent } from '../api/types.js';
import { clusterData, type LiveState } from './cluster-data.js';
import { mergeCommand, type LiveCommand } from './commands.js';

/** Every object of a kind in a cluster, live, typed with the kind's summary; undefined while the first list loads. */
export function useKind<K extends ResourceKind>(
  cluster: string,
  kind: K,
): { items: InventoryItemOf<K>[] | undefined; error: string | undefined } {
  const data = clusterData(cluster);
  useEffect(() => data.ensure(kind), [data, kind]);
  const all = useSyncExternalStore(data.subscribe, () => data.items(kind));
  const items = useMemo(() => all?.filter(ofKind(kind)), [all, kind]);
  return { items, error: data.error(kind) };
}

/** Objects of several kinds at once (search, namespaces); undefined until all are listed. */
export function useKinds(cluster: string, kinds: readonly string[]): InventoryItem[] | undefined {
  const data = clusterData(cluster);
  const key = kinds.join(',');
  useEffect(() => {
    for (const k of key.split(',')) data.ensure(k);
  }, [data, key]);
  const version = useSyncExternalStore(data.subscribe, () => data.version);
  return useMemo(() => {
    const lists = key.split(',').map((k) => data.items(k));
    return lists.some((l) => l === undefined) ? undefined : lists.flatMap((l) => l ?? []);
    // version: recompute on every change of the cluster copy
  }, [data, key, version]); // eslint-disable-line react-hooks/exhaustive-deps
}

export function useClusterView(cluster: string): ClusterDetail | undefined {
  const data = clusterData(cluster);
  return useSyncExternalStore(data.subscribe, () => data.view);
}

export function useLiveState(cluster: string): LiveState {
  const data = clusterData(cluster);
  return useSyncExternalStore(data.subscribe, () => data.liveState);
}

/** Calls fn for every live timeline event of the cluster. */
export function useTimelineFeed(cluster: string, fn: (e: TimelineEvent) => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => clusterData(cluster).onTimeline((e) => ref.current(e)), [cluster]);
}

/** A command, kept current by the live feed until it is terminal. */
export function useCommand(cluster: string, id: string | undefined): LiveCommand | undefined {
  const [cmd, setCmd] = useState<LiveCommand>();
  useEffect(() => {
    if (!id) return;
    let stop = false;
    // Live updates and the full view (with transitions) merge, whichever arrives first.
    const off = clusterData(cluster).onCommand((c) => {
      if (c.id === id) setCmd((prev) => mergeCommand(prev, c));
    });
    api<CommandDetail>(`/api/v1/actions/${id}`).then(
      (c) => !stop && setCmd((prev) => mergeCommand(prev, c)),
      () => undefined,
    );
    return () => {
      stop = true;
      off();
    };
  }, [cluster, id]);
  return cmd;
}

export interface Async<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** A GET (or any promise) tied to its inputs; stale answers are dropped. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps decide
  const run = useCallback(fn, deps);
  useEffect(() => {
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    run(ctrl.signal).then(
      (data) => !ctrl.signal.aborted && setState({ data, loading: false }),
      (err: unknown) => !ctrl.signal.aborted && setState({ error: errorText(err), loading: false }),
    );
    return () => ctrl.abort();
  }, [run, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Re-renders every `ms` (ages, countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
