// Health of a workload or pod in one word and level: what an on-call engineer
// scans a list for. One rule for the console, the CLI and the hub's overview
// of what is broken now. Zod-free.
import type { InventoryItem, InventoryItemOf } from './inventory.js';

export interface Health {
  level: 'ok' | 'warn' | 'err' | 'muted';
  text: string;
  ready: number;
  desired: number;
}

export function workloadHealth(it: InventoryItem): Health {
  switch (it.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      const { replicas: desired, readyReplicas: ready } = it.summary;
      if (desired === 0) return { level: 'muted', text: 'scaled to 0', ready, desired };
      if (ready >= desired) return { level: 'ok', text: 'healthy', ready, desired };
      return { level: ready === 0 ? 'err' : 'warn', text: ready === 0 ? 'down' : 'degraded', ready, desired };
    }
    case 'DaemonSet': {
      const { desired, ready } = it.summary;
      return {
        level: ready >= desired ? 'ok' : ready === 0 ? 'err' : 'warn',
        text: ready >= desired ? 'healthy' : 'degraded',
        ready,
        desired,
      };
    }
    case 'Job': {
      const { failed, succeeded, active, conditions: conds } = it.summary;
      const desired = it.summary.completions ?? 1;
      if (conds.Failed === 'True') return { level: 'err', text: 'failed', ready: succeeded, desired };
      if (conds.Complete === 'True') return { level: 'ok', text: 'complete', ready: succeeded, desired };
      if (it.summary.suspend) return { level: 'muted', text: 'suspended', ready: succeeded, desired };
      return { level: failed > 0 ? 'warn' : 'ok', text: active > 0 ? 'running' : 'pending', ready: succeeded, desired };
    }
    case 'CronJob':
      return {
        level: it.summary.suspend ? 'muted' : 'ok',
        text: it.summary.suspend ? 'suspended' : (it.summary.schedule ?? ''),
        ready: it.summary.active,
        desired: 0,
      };
    default:
      return { level: 'muted', text: '', ready: 0, desired: 0 };
  }
}

export interface PodState {
  level: 'ok' | 'warn' | 'err' | 'muted';
  text: string;
}

/** What `kubectl get pods` shows in STATUS: a waiting/terminated reason wins over the phase. */
export function podState(it: InventoryItemOf<'Pod'>): PodState {
  const s = it.summary;
  if (it.deletingSince) return { level: 'warn', text: 'Terminating' };
  const bad = s.containers.find((c) => c.reason && c.state !== 'running' && c.reason !== 'Completed');
  const phase = s.phase;
  if (bad?.reason) return { level: 'err', text: bad.reason };
  if (phase === 'Running')
    return s.ready ? { level: 'ok', text: 'Running' } : { level: 'warn', text: 'Running (not ready)' };
  if (phase === 'Succeeded') return { level: 'muted', text: 'Completed' };
  if (phase === 'Failed') return { level: 'err', text: s.reason ?? 'Failed' };
  return { level: 'warn', text: phase };
}

/** A node's status as the Nodes page filters and sorts by it (kept in the hub's status column). */
export const NODE_STATUSES = ['NotReady', 'SchedulingDisabled', 'Ready'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** The one word that matters most first: not ready, else cordoned, else ready. */
export function nodeListStatus(node: InventoryItemOf<'Node'>): NodeStatus {
  // Read defensively: the hub keeps this at ingest for whatever summary an agent (of any version) sent.
  const conditions = node.summary.conditions as Partial<Record<string, string>> | undefined;
  if (conditions?.Ready !== 'True') return 'NotReady';
  return node.summary.unschedulable ? 'SchedulingDisabled' : 'Ready';
}
