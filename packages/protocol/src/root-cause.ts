// Root-cause hints: when a workload turns unhealthy, what changed on its
// timeline just before — a revision with its diff, a scale, an action by
// someone, a ConfigMap it uses, a node it runs on going bad — or, saying so,
// nothing. Pure and zod-free: the hub computes it for the insights API, the
// console may too.
import type { InsightAction } from './insights.js';
import type { FieldChange } from './timeline-data.js';
import type { TimelineEvent } from './timeline.js';

/** How far back a change counts as "just before" the failure. */
export const ROOT_CAUSE_WINDOW_MS = 30 * 60_000;
/** Clocks differ a little (Kubernetes' seconds vs the agent's milliseconds): a change this much after still counts. */
export const ROOT_CAUSE_SLACK_MS = 5_000;

export interface RootCauseHint {
  /** change: something changed just before; nothing: no change found in the window. */
  kind: 'change' | 'nothing';
  /** One sentence, e.g. "Failing since 40 s after revision 7 changed image shop 1.4 → 1.5". */
  text: string;
  /** The timeline event of the change. */
  event?: { id: string; type: string; time: number; summary: string };
  /** For a deploy: the field changes of that revision. */
  changes?: FieldChange[];
  /** Undo it (a rollback to the previous revision, prefilled), when the catalog can. */
  action?: InsightAction;
  /** Where to look when nothing changed. */
  lookAt?: string[];
}

export interface RootCauseInput {
  /** When the failure started. */
  since: number;
  workload: { kind: string; namespace: string; name: string };
  /** Candidate events (any order): the workload's spec changes and actions, ConfigMaps it uses, its nodes' conditions. */
  events: readonly TimelineEvent[];
  /** The workload's current and previous revision (Deployments: from its ReplicaSets). */
  revisions?: { current?: number; previous?: number };
}

export function formatGap(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'right';
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 90 ? `${m} min` : `${Math.round(m / 60)} h`;
}

/** "shop 1.4 → 1.5" for one repository, else both images in full. */
export function describeImageChange(from: unknown, to: unknown): string {
  const a = typeof from === 'string' ? from : '∅';
  const b = typeof to === 'string' ? to : '∅';
  const split = (i: string): [string, string] => {
    const at = i.lastIndexOf(':');
    return at > i.lastIndexOf('/') ? [i.slice(0, at), i.slice(at + 1)] : [i, 'latest'];
  };
  const [ra, ta] = split(a);
  const [rb, tb] = split(b);
  return ra === rb ? `${ra.split('/').pop() ?? ra} ${ta} → ${tb}` : `${a} → ${b}`;
}

function describeDeploy(changes: readonly FieldChange[]): string {
  const image = changes.find((c) => /\.image$/.test(c.path));
  if (image) return `changed image ${describeImageChange(image.from, image.to)}`;
  const fmt = (v: unknown) => (v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));
  const first = changes[0];
  return first
    ? `changed ${first.path} ${fmt(first.from)} → ${fmt(first.to)}${changes.length > 1 ? ` (+${changes.length - 1} more)` : ''}`
    : 'changed';
}

const isScale = (changes: readonly FieldChange[]) => changes.length > 0 && changes.every((c) => c.path === 'replicas');

export function rootCause(input: RootCauseInput): RootCauseHint {
  const { since, workload: w } = input;
  const candidates = input.events
    .filter((e) => e.time >= since - ROOT_CAUSE_WINDOW_MS && e.time <= since + ROOT_CAUSE_SLACK_MS)
    .filter((e) => {
      if (e.type === 'spec-change') return true;
      if (e.type === 'action') return 'state' in e.data && e.data.state === 'succeeded';
      if (e.type === 'node-condition') return e.severity !== 'info';
      return false;
    })
    .sort((a, b) => b.time - a.time);
  const e = candidates[0];
  if (!e) {
    return {
      kind: 'nothing',
      text: `Nothing changed on ${w.kind} ${w.name} in the ${ROOT_CAUSE_WINDOW_MS / 60_000} min before it started failing: look at what it depends on, the nodes it runs on and the namespace's quotas.`,
      lookAt: ['dependencies', 'nodes', 'quotas'],
    };
  }
  const gap = formatGap(since - e.time);
  const after = gap === 'right' ? 'right after' : `${gap} after`;
  const event = { id: e.id, type: e.type, time: e.time, summary: e.summary };
  const ownChange = e.kind === w.kind && e.name === w.name;
  if (e.type === 'spec-change' && ownChange && !isScale(e.data.changes)) {
    const { current, previous } = input.revisions ?? {};
    const rev = current !== undefined ? `revision ${current}` : `a deploy of ${w.name}`;
    const rollback: InsightAction | undefined =
      w.kind === 'Deployment' && previous !== undefined
        ? {
            action: 'rollback',
            target: w,
            params: { toRevision: previous },
            label: `Roll back to revision ${previous}?`,
          }
        : undefined;
    return {
      kind: 'change',
      text: `Failing since ${after} ${rev} ${describeDeploy(e.data.changes)}`,
      event,
      changes: e.data.changes,
      ...(rollback ? { action: rollback } : {}),
    };
  }
  if (e.type === 'spec-change' && ownChange) {
    const c = e.data.changes[0];
    return {
      kind: 'change',
      text: `Failing since ${after} ${w.name} was scaled ${JSON.stringify(c?.from ?? '?')} → ${JSON.stringify(c?.to ?? '?')}`,
      event,
      changes: e.data.changes,
    };
  }
  if (e.type === 'spec-change') {
    return {
      kind: 'change',
      text: `Failing since ${after} ${e.kind} ${e.name} changed (${e.summary})`,
      event,
      changes: e.data.changes,
    };
  }
  if (e.type === 'action' && 'state' in e.data) {
    return {
      kind: 'change',
      text: `Failing since ${after} ${e.data.requestedBy} ran ${e.data.action} on ${e.kind} ${e.name}`,
      event,
    };
  }
  return { kind: 'change', text: `Failing since ${after} ${e.summary}`, event };
}
