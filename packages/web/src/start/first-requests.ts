// The requests a page sends first, as pure functions of its URL (issue 18:
// the console's start-up). The pages build their lists' parameters and
// request URLs here, and the start-up preload (preload.ts) uses the same
// functions on the address the console opens at, so the preload asks exactly
// what the page will ask — the page then takes the preloaded answer instead of
// asking again. Kept free of React and of the rest of the console: it goes
// into the tiny script index.html starts before the console's own.
import { withQuery } from '../api/query.js';
import { WORKLOAD_KINDS } from '../api/types.js';
import type { ListParams, ListSort } from '../data/inventory-list.js';
import type { NodeListParams } from '../data/node-list.js';
import type { WorkloadListParams, WorkloadSort } from '../data/workload-list.js';

/** A query-string value, as the page's `useQueryState(key, fallback)` reads it. */
export type QueryValue = (key: string, fallback: string) => string;

export const queryValues =
  (search: string): QueryValue =>
  (key, fallback) =>
    new URLSearchParams(search).get(key) ?? fallback;

/** The first page of a paged list: a screenful and some (a pod is ~1.8 KB to parse on both ends). */
export const FIRST_PAGE = 50;
/** Names the hub's prefix filter accepts (lower-case DNS characters). */
export const NAME_CHARS = /^[a-z0-9.-]*$/;
export const POD_SORTS: readonly ListSort[] = ['namespace', 'name', 'age', 'status'];
export const WORKLOAD_SORTS: readonly WorkloadSort[] = ['kind', 'namespace', 'name', 'age', 'health'];
export const NODE_SORTS: readonly ListSort[] = ['name', 'status', 'age'];
/** The Nodes page's status filter: the hub's status column for nodes (protocol nodeListStatus). */
export const NODE_STATUS_FILTERS = ['NotReady', 'SchedulingDisabled', 'Ready'] as const;

/** Whether typed text is a name prefix the hub filters by (trimmed, any case). */
export function isNamePrefix(text: string): boolean {
  return NAME_CHARS.test(text.trim().toLowerCase());
}

/** An impossible prefix matches nothing; asking the hub would only earn a 400. */
function prefixOf(text: string): string | undefined {
  return isNamePrefix(text) ? text.trim().toLowerCase() || undefined : '~';
}

/** The Pods page's list, from its query string (namespace, q, status, sort, order). */
export function podListParams(q: QueryValue): ListParams {
  const sort = q('sort', 'namespace');
  return {
    kind: 'Pod',
    namespace: q('namespace', '') || undefined,
    prefix: prefixOf(q('q', '')),
    status: q('status', '') || undefined,
    sort: POD_SORTS.find((k) => k === sort) ?? 'namespace',
    order: q('order', 'asc') === 'desc' ? 'desc' : 'asc',
  };
}

/** The Nodes page's list, from its query string (q, status, sort, order): paged by the hub like the pods. */
export function nodeListParams(q: QueryValue): NodeListParams {
  const sort = q('sort', 'name');
  const status = q('status', '');
  return {
    prefix: prefixOf(q('q', '')),
    status: (NODE_STATUS_FILTERS as readonly string[]).includes(status) ? status : undefined,
    sort: NODE_SORTS.find((k) => k === sort) ?? 'name',
    order: q('order', 'asc') === 'desc' ? 'desc' : 'asc',
  };
}

/** One node's pods (the node page's Pods tab). */
export const nodePodListParams = (node: string): ListParams => ({
  kind: 'Pod',
  node,
  sort: 'namespace',
  order: 'asc',
});

/** The Workloads page's list, from its query string (kind, namespace, q, unhealthy, sort, dir). */
export function workloadListParams(q: QueryValue): WorkloadListParams {
  const kind = q('kind', '');
  const sort = q('sort', 'namespace');
  return {
    kind: (WORKLOAD_KINDS as readonly string[]).includes(kind) ? kind : undefined,
    namespace: q('namespace', '') || undefined,
    prefix: prefixOf(q('q', '')),
    unhealthy: q('unhealthy', '') === '1' || undefined,
    sort: WORKLOAD_SORTS.find((k) => k === sort) ?? 'namespace',
    order: q('dir', 'asc') === 'desc' ? 'desc' : 'asc',
  };
}

const clusterPath = (cluster: string): string => `/api/v1/clusters/${encodeURIComponent(cluster)}`;

/**
 * Where a list's page starts: after the hub's cursor, at a list position (a
 * number: a scrollbar dragged into rows never read, paged-list.ts), or the top.
 */
export type PageFrom = string | number | null;
const pageFrom = (from: PageFrom): { cursor: string | null } | { at: number } =>
  typeof from === 'number' ? { at: from } : { cursor: from };

/** A page of one kind's list (`count`: the total instead of rows worth reading). */
export const inventoryPageUrl = (
  cluster: string,
  p: ListParams,
  from: PageFrom,
  limit: number,
  count: boolean,
): string =>
  withQuery(`${clusterPath(cluster)}/resources`, { ...p, count: count || undefined, limit, ...pageFrom(from) });

/** A page of the Nodes page's list, each node with its pods counted (`count`: the total instead). */
export const nodePageUrl = (
  cluster: string,
  p: NodeListParams,
  from: PageFrom,
  limit: number,
  count: boolean,
): string => withQuery(`${clusterPath(cluster)}/nodes`, { ...p, count: count || undefined, limit, ...pageFrom(from) });

export const workloadPageUrl = (
  cluster: string,
  p: WorkloadListParams,
  from: PageFrom,
  limit: number,
  count: boolean,
): string =>
  withQuery(`${clusterPath(cluster)}/workloads`, {
    ...p,
    unhealthy: p.unhealthy || undefined,
    count: count || undefined,
    limit,
    ...pageFrom(from),
  });

/** A kind listed whole into the cluster's live copy (cluster-data.ts), 1,000 a page. */
export const kindPageUrl = (cluster: string, kind: string, cursor: string | number | null): string =>
  withQuery(`${clusterPath(cluster)}/resources`, { kind, limit: 1000, cursor });

/** One object by kind, namespace and name (one-object.ts): the hub's one seek, not the kind's list. */
export const oneObjectUrl = (cluster: string, kind: string, namespace: string, name: string): string =>
  withQuery(`${clusterPath(cluster)}/resources`, { kind, namespace, name, limit: 1 });

/** The pods on these nodes counted again (the Nodes page's rows in view, as pods change). */
export const podsOnNodesUrl = (cluster: string, nodes: readonly string[]): string =>
  withQuery(`${clusterPath(cluster)}/pods-by-node`, { nodes: nodes.join(',') });

/** A paged list's first two requests (paged-list.ts): the count beside the first page. */
const firstOfList = (url: (limit: number, count: boolean) => string): string[] => [
  url(1, true),
  url(FIRST_PAGE, false),
];

/**
 * What the page at this address asks first, beside the session check: the
 * list pages' first rows and counts and the kinds they read whole, a node's
 * and a pod's page their object. Only these pages; any other address
 * preloads nothing but the session.
 */
export function firstRequests(pathname: string, search: string): string[] {
  const m = /^\/c\/([^/]+)(?:\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?)?\/?$/.exec(pathname);
  if (!m?.[1]) return [];
  let cluster: string;
  let name: string | undefined;
  let podName: string | undefined;
  try {
    cluster = decodeURIComponent(m[1]);
    name = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    podName = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
  } catch {
    return [];
  }
  const q = queryValues(search);
  // Only a pod's page (/c/<cluster>/pods/<namespace>/<name>) has a fourth part.
  if (podName !== undefined) return m[2] === 'pods' && name ? [oneObjectUrl(cluster, 'Pod', name, podName)] : [];
  switch (m[2]) {
    case 'pods':
      if (name !== undefined) return [];
      return [
        ...firstOfList((limit, count) => inventoryPageUrl(cluster, podListParams(q), null, limit, count)),
        kindPageUrl(cluster, 'Namespace', null),
      ];
    case undefined:
    case 'workloads':
      if (name !== undefined) return [];
      return [
        ...firstOfList((limit, count) => workloadPageUrl(cluster, workloadListParams(q), null, limit, count)),
        kindPageUrl(cluster, 'Namespace', null),
      ];
    case 'nodes':
      if (name === undefined)
        return firstOfList((limit, count) => nodePageUrl(cluster, nodeListParams(q), null, limit, count));
      return [
        oneObjectUrl(cluster, 'Node', '', name),
        ...firstOfList((limit, count) => inventoryPageUrl(cluster, nodePodListParams(name), null, limit, count)),
      ];
    default:
      return [];
  }
}
