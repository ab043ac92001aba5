// The Workloads page's list (issue 18, see paged-list.ts): workloads paged,
// sorted and filtered by the hub, each with its pods counted there — the
// console never lists a cluster's pods. Live: a workload held is replaced in
// place (its health with it) or dropped; a new workload, or any pod of a
// namespace on hand changing, refreshes the rows held (their pod counts) at
// most once a second.
import { useMemo } from 'react';
import { api } from '../api/client.js';
import { workloadPageUrl, type PageFrom } from '../start/first-requests.js';
import { WORKLOAD_KINDS, type InventoryItem, type WorkloadListRow } from '../api/types.js';
import { listCursorAfter } from '@wheelhouse/protocol/core';
import { workloadHealth } from '../ui/Health.js';
import { usePagedList, type Held, type Page, type PagedList, type PagedListSource } from './paged-list.js';

export type WorkloadSort = 'kind' | 'namespace' | 'name' | 'age' | 'health';

export interface WorkloadListParams {
  kind?: string;
  namespace?: string;
  prefix?: string;
  unhealthy?: boolean;
  sort: WorkloadSort;
  order: 'asc' | 'desc';
}

const isWorkload = (kind: string): boolean => (WORKLOAD_KINDS as readonly string[]).includes(kind);

function matches(w: InventoryItem, p: WorkloadListParams): boolean {
  if (!isWorkload(w.kind) || (p.kind && w.kind !== p.kind)) return false;
  if (p.namespace && w.namespace !== p.namespace) return false;
  if (p.prefix && !w.name.startsWith(p.prefix)) return false;
  const level = workloadHealth(w).level;
  return !p.unhealthy || level === 'err' || level === 'warn';
}

function live(
  p: WorkloadListParams,
  held: Held<WorkloadListRow>,
  upserts: readonly InventoryItem[],
  deletes: readonly { kind: string; uid: string }[],
  refresh: () => void,
): boolean {
  let changed = false;
  const at = new Map(held.rows.map((r, i) => [r.workload.uid, i]));
  const namespaces = new Set(held.rows.map((r) => r.workload.namespace));
  for (const it of upserts) {
    // A pod (or a ReplicaSet/Job between it and its workload) of a namespace on hand: recount.
    if (it.kind === 'Pod') {
      if (namespaces.has(it.namespace)) refresh();
      continue;
    }
    if (!isWorkload(it.kind)) continue;
    const i = at.get(it.uid);
    const row = i === undefined ? undefined : held.rows[i];
    if (i === undefined || !row) {
      if (matches(it, p) || namespaces.has(it.namespace)) refresh();
    } else {
      held.rows[i] = { ...row, workload: it };
      changed = true;
    }
  }
  for (const d of deletes) {
    if (d.kind === 'Pod' || d.kind === 'ReplicaSet' || d.kind === 'Job') refresh();
    if (!at.has(d.uid)) continue;
    held.rows = held.rows.filter((r) => r.workload.uid !== d.uid);
    if (held.total !== undefined) held.total = Math.max(0, held.total - 1);
    changed = true;
  }
  const kept = held.rows.filter((r) => matches(r.workload, p));
  if (kept.length !== held.rows.length) {
    if (held.total !== undefined) held.total = Math.max(0, held.total - (held.rows.length - kept.length));
    held.rows = kept;
    changed = true;
  }
  return changed;
}

export function useWorkloadList(cluster: string, params: WorkloadListParams): PagedList<WorkloadListRow> {
  const key = JSON.stringify(params);
  const source = useMemo(() => {
    const p = JSON.parse(key) as WorkloadListParams;
    const source: PagedListSource<WorkloadListRow> = {
      key,
      countKey: JSON.stringify({ ...p, sort: undefined, order: undefined }),
      uid: (r: WorkloadListRow) => r.workload.uid,
      fetchPage: (from: PageFrom, limit: number, count: boolean, signal?: AbortSignal) =>
        api<Page<WorkloadListRow>>(workloadPageUrl(cluster, p, from, limit, count), { signal }),
      live: (held, upserts, deletes, refresh) => live(p, held, upserts, deletes, refresh),
      cursorAfter: (r: WorkloadListRow) => listCursorAfter(p.sort, p.order, r.workload),
    };
    return source;
  }, [cluster, key]);
  return usePagedList(cluster, source);
}
