// Attaches a root-cause hint (protocol/src/root-cause.ts) to each open error or
// warning insight of a workload: the workload's timeline around the failure's
// start, the ConfigMaps it names and its nodes' conditions, and — for a
// Deployment — its current and previous revision from its ReplicaSets.
import {
  ROOT_CAUSE_SLACK_MS,
  ROOT_CAUSE_WINDOW_MS,
  WORKLOAD_KINDS,
  rootCause,
  type Insight,
  type TimelineEvent,
} from '@wheelhouse/protocol';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { TimelineStore } from '../timeline/timeline-store.js';

const WORKLOADS: ReadonlySet<string> = new Set(WORKLOAD_KINDS);
/** Hints are computed on read: bounded per answer. */
const MAX_HINTS = 50;

export interface RootCauseDeps {
  timeline: TimelineStore;
  inventory: InventoryStore;
}

export async function withRootCauses(deps: RootCauseDeps, cluster: string, items: Insight[]): Promise<Insight[]> {
  let budget = MAX_HINTS;
  const out: Insight[] = [];
  for (const i of items) {
    const w = workloadOf(i);
    if (i.state !== 'open' || i.severity === 'info' || !w || budget <= 0) {
      out.push(i);
      continue;
    }
    budget--;
    out.push({ ...i, cause: await hintFor(deps, cluster, i.since, w) });
  }
  return out;
}

function workloadOf(i: Insight): { kind: string; namespace: string; name: string } | undefined {
  if (i.owner && WORKLOADS.has(i.owner.kind))
    return { kind: i.owner.kind, namespace: i.object.namespace, name: i.owner.name };
  if (WORKLOADS.has(i.object.kind)) return i.object;
  return undefined;
}

async function hintFor(
  deps: RootCauseDeps,
  cluster: string,
  since: number,
  w: { kind: string; namespace: string; name: string },
): Promise<Insight['cause']> {
  const window = { from: since - ROOT_CAUSE_WINDOW_MS, to: since + ROOT_CAUSE_SLACK_MS, limit: 200 };
  const own = await deps.timeline.query(cluster, {
    ...window,
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    types: ['spec-change', 'action'],
  });
  // Only the workload's own changes and actions (its pods' events come along with kind+name).
  const events: TimelineEvent[] = own.items.filter((e) => e.kind === w.kind && e.name === w.name);

  const workload = await deps.inventory.get(cluster, w.kind as (typeof WORKLOAD_KINDS)[number], w.namespace, w.name);
  const spec = workload && 'spec' in workload.summary ? JSON.stringify(workload.summary.spec) : '';
  const configMaps = await deps.timeline.query(cluster, {
    ...window,
    namespace: w.namespace,
    kind: 'ConfigMap',
    types: ['spec-change'],
  });
  events.push(...configMaps.items.filter((e) => spec.includes(`"${e.name}"`)));

  const pods = (await deps.inventory.query(cluster, { kind: 'Pod', namespace: w.namespace, limit: 1000 })).items;
  const nodes = new Set(
    pods
      .filter((p) => p.ownerRefs.some((r) => r.name === w.name || r.name.startsWith(`${w.name}-`)))
      .map((p) => ('nodeName' in p.summary ? p.summary.nodeName : null))
      .filter((n): n is string => !!n),
  );
  if (nodes.size > 0) {
    const nodeEvents = await deps.timeline.query(cluster, {
      ...window,
      namespace: '',
      kind: 'Node',
      types: ['node-condition'],
    });
    events.push(...nodeEvents.items.filter((e) => nodes.has(e.name)));
  }

  return rootCause({ since, workload: w, events, revisions: await revisionsOf(deps, cluster, w) });
}

/** A Deployment's current and previous revision, from its ReplicaSets. */
async function revisionsOf(
  deps: RootCauseDeps,
  cluster: string,
  w: { kind: string; namespace: string; name: string },
): Promise<{ current?: number; previous?: number }> {
  if (w.kind !== 'Deployment') return {};
  const d = await deps.inventory.get(cluster, 'Deployment', w.namespace, w.name);
  if (!d) return {};
  const rss = (await deps.inventory.query(cluster, { kind: 'ReplicaSet', namespace: w.namespace, limit: 1000 })).items;
  const revisions = rss
    .filter((rs) => rs.ownerRefs.some((r) => r.uid === d.uid))
    .map((rs) => Number('revision' in rs.summary ? rs.summary.revision : NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a);
  const current = Number(d.summary.revision) || revisions[0];
  const previous = revisions.find((r) => current === undefined || r < current);
  return { ...(current !== undefined ? { current } : {}), ...(previous !== undefined ? { previous } : {}) };
}
