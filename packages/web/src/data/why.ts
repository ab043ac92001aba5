// "Why is it unhealthy", read from what Kubernetes already says: the
// scheduler's PodScheduled message, the kubelet's waiting reason and message,
// the last termination's reason and exit code, a workload's failing
// conditions. Shown in the header of pod and workload pages, so the cause is
// not only in the YAML.
import type { ConditionDetail, ContainerSummary, InventoryItem, InventoryItemOf } from '../api/types.js';

export interface Reason {
  level: 'err' | 'warn';
  /** One line: what is wrong ("Not scheduled: Unschedulable", "worker: OOMKilled (exit 137)"). */
  title: string;
  /** Kubernetes' own words, when it gave any. */
  detail: string | null;
  /** When it happened or started, epoch ms. */
  since: number | null;
  /** The pod this reason was read from (on a workload's page). */
  pod?: string;
  /** An out-of-memory kill: the container, with its memory request and limit. */
  oom?: { container: string; request: string | null; limit: string | null };
}

/** Waiting reasons that are normal for a moment and not worth a header line. */
const BENIGN_WAITING = new Set(['ContainerCreating', 'PodInitializing']);

function containerReasons(c: ContainerSummary, podRunningFor: number): Reason[] {
  const out: Reason[] = [];
  const memory = {
    container: c.name,
    request: c.resources?.requests?.memory ?? null,
    limit: c.resources?.limits?.memory ?? null,
  };
  if (c.state === 'waiting' && c.reason && !BENIGN_WAITING.has(c.reason)) {
    out.push({ level: 'err', title: `${c.name}: ${c.reason}`, detail: c.message ?? null, since: null });
  }
  if (c.state === 'terminated' && c.reason && c.reason !== 'Completed') {
    out.push({
      level: 'err',
      title: `${c.name}: ${c.reason} (exit ${c.exitCode ?? '?'})`,
      detail: c.message ?? null,
      since: null,
      ...(c.reason === 'OOMKilled' ? { oom: memory } : {}),
    });
  }
  const last = c.lastTerminated;
  // The last termination explains a crash loop or a restart; an old one on a healthy container is history.
  if (last && (c.state !== 'running' || !c.ready || (last.finishedAt ?? 0) > podRunningFor)) {
    out.push({
      level: last.reason === 'OOMKilled' || (last.exitCode ?? 0) !== 0 ? 'err' : 'warn',
      title: `${c.name}: last terminated ${last.reason ?? 'with no reason'} (exit ${last.exitCode ?? '?'})${
        c.restartCount ? `, restarted ${c.restartCount}×` : ''
      }`,
      detail: null,
      since: last.finishedAt,
      ...(last.reason === 'OOMKilled' ? { oom: memory } : {}),
    });
  }
  return out;
}

/** Why a pod is not healthy, most telling first; empty when nothing is wrong. */
export function podReasons(pod: InventoryItemOf<'Pod'>, now = Date.now()): Reason[] {
  const s = pod.summary;
  const out: Reason[] = [];
  const conds = s.conditionDetails ?? [];
  const scheduled = conds.find((c) => c.type === 'PodScheduled');
  if (scheduled && scheduled.status !== 'True') {
    out.push({
      level: 'err',
      title: `Not scheduled: ${scheduled.reason ?? 'Unschedulable'}`,
      detail: scheduled.message,
      since: scheduled.lastTransitionTime,
    });
  }
  // A termination within the last 10 minutes is recent enough to explain a restart.
  const recent = now - 10 * 60_000;
  for (const c of s.containers) out.push(...containerReasons(c, recent));
  if (s.phase === 'Failed' && s.reason)
    out.push({ level: 'err', title: `Pod failed: ${s.reason}`, detail: null, since: null });
  return out;
}

/** Conditions that say something is wrong: a False Available/Ready/Progressing, a True failure. */
export function failingConditions(conds: readonly ConditionDetail[]): ConditionDetail[] {
  return conds.filter((c) =>
    ['Failed', 'ReplicaFailure', 'FailureTarget'].includes(c.type) ? c.status === 'True' : c.status === 'False',
  );
}

/** Why a workload is not healthy: its own failing conditions, then the first unhealthy pod's reasons. */
export function workloadReasons(w: InventoryItem, pods: readonly InventoryItemOf<'Pod'>[], now = Date.now()): Reason[] {
  const out: Reason[] = [];
  const details = 'conditionDetails' in w.summary ? (w.summary.conditionDetails ?? []) : [];
  for (const c of failingConditions(details)) {
    out.push({
      level: 'err',
      title: `${c.type}: ${c.reason ?? c.status}`,
      detail: c.message,
      since: c.lastTransitionTime,
    });
  }
  // The newest pod is what the controller is trying now; its reasons are the workload's.
  const newestFirst = [...pods].sort((a, b) => b.createdAt - a.createdAt);
  for (const p of newestFirst) {
    const r = podReasons(p, now);
    if (r.length) {
      out.push(...r.map((x) => ({ ...x, pod: p.name })));
      break;
    }
  }
  return out;
}

/** Doubles a Kubernetes quantity ("256Mi" → "512Mi", "1G" → "2G", "1.5Gi" → "3Gi"); null when unreadable. */
export function doubleQuantity(q: string): string | null {
  const m = /^(\d+(?:\.\d+)?)([KMGTPE]i?|k|m)?$/.exec(q.trim());
  if (!m?.[1]) return null;
  const n = Number(m[1]) * 2;
  return `${Number.isInteger(n) ? n : Number(n.toFixed(3))}${m[2] ?? ''}`;
}
