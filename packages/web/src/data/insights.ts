// A cluster's health insights, fetched from the hub and fetched again (at most
// every 500 ms) when the live feed says one opened or resolved.
import { useEffect, useRef, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { Insight } from '../api/types.js';
import { useTimelineFeed } from './hooks.js';

export interface InsightQuery {
  state?: 'open' | 'resolved';
  namespace?: string;
  kind?: string;
  name?: string;
}

export function useInsights(
  cluster: string,
  q: InsightQuery = {},
): { items: Insight[] | undefined; error: string | undefined } {
  const [items, setItems] = useState<Insight[]>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  const { state, namespace, kind, name } = q;
  useEffect(() => {
    const ctrl = new AbortController();
    api<{ items: Insight[] }>(`/api/v1/clusters/${encodeURIComponent(cluster)}/insights`, {
      query: { state, namespace, kind, name },
      signal: ctrl.signal,
    }).then(
      (r) => {
        setItems(r.items);
        setError(undefined);
      },
      (err: unknown) => !ctrl.signal.aborted && setError(errorText(err)),
    );
    return () => ctrl.abort();
  }, [cluster, state, namespace, kind, name, tick]);
  useTimelineFeed(cluster, (e) => {
    if (e.type !== 'insight-opened' && e.type !== 'insight-resolved') return;
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      setTick((t) => t + 1);
    }, 500);
  });
  useEffect(() => () => clearTimeout(pending.current), []);
  return { items, error };
}

/** Open insights per workload ("Kind/namespace/name"): the workload's own and its pods'. */
export function insightsByWorkload(items: readonly Insight[]): Map<string, Insight[]> {
  const out = new Map<string, Insight[]>();
  for (const i of items) {
    if (i.state !== 'open') continue;
    const w = i.owner ?? { kind: i.object.kind, name: i.object.name };
    const key = `${w.kind}/${i.object.namespace}/${w.name}`;
    out.set(key, [...(out.get(key) ?? []), i]);
  }
  return out;
}

export const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function worst(items: readonly Insight[]): Insight['severity'] | undefined {
  return [...items].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])[0]?.severity;
}

export const severityLevel = (s: Insight['severity']): string =>
  s === 'error' ? 'err' : s === 'warning' ? 'warn' : 'info';
