// Health of a workload or pod in one badge: what an on-call engineer scans a
// list for.
import type { InventoryItem } from '../api/types.js';
import { num, str } from './format.js';

export interface Health {
  level: 'ok' | 'warn' | 'err' | 'muted';
  text: string;
  ready: number;
  desired: number;
}

export function workloadHealth(it: InventoryItem): Health {
  const s = it.summary;
  switch (it.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      const desired = num(s.replicas) ?? 0;
      const ready = num(s.readyReplicas) ?? 0;
      if (desired === 0) return { level: 'muted', text: 'scaled to 0', ready, desired };
      if (ready >= desired) return { level: 'ok', text: 'healthy', ready, desired };
      return { level: ready === 0 ? 'err' : 'warn', text: ready === 0 ? 'down' : 'degraded', ready, desired };
    }
    case 'DaemonSet': {
      const desired = num(s.desired) ?? 0;
      const ready = num(s.ready) ?? 0;
      return {
        level: ready >= desired ? 'ok' : ready === 0 ? 'err' : 'warn',
        text: ready >= desired ? 'healthy' : 'degraded',
        ready,
        desired,
      };
    }
    case 'Job': {
      const failed = num(s.failed) ?? 0;
      const succeeded = num(s.succeeded) ?? 0;
      const active = num(s.active) ?? 0;
      const desired = num(s.completions) ?? 1;
      const conds = (s.conditions ?? {}) as Record<string, string>;
      if (conds.Failed === 'True') return { level: 'err', text: 'failed', ready: succeeded, desired };
      if (conds.Complete === 'True') return { level: 'ok', text: 'complete', ready: succeeded, desired };
      if (s.suspend === true) return { level: 'muted', text: 'suspended', ready: succeeded, desired };
      return { level: failed > 0 ? 'warn' : 'ok', text: active > 0 ? 'running' : 'pending', ready: succeeded, desired };
    }
    case 'CronJob':
      return {
        level: s.suspend === true ? 'muted' : 'ok',
        text: s.suspend === true ? 'suspended' : (str(s.schedule) ?? ''),
        ready: num(s.active) ?? 0,
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
export function podState(it: InventoryItem): PodState {
  const s = it.summary;
  if (it.deletingSince) return { level: 'warn', text: 'Terminating' };
  const containers = (Array.isArray(s.containers) ? s.containers : []) as {
    state?: string;
    reason?: string;
    ready?: boolean;
  }[];
  const bad = containers.find((c) => c.reason && c.state !== 'running' && c.reason !== 'Completed');
  const phase = str(s.phase) ?? 'Unknown';
  if (bad?.reason) return { level: 'err', text: bad.reason };
  if (phase === 'Running')
    return s.ready === true ? { level: 'ok', text: 'Running' } : { level: 'warn', text: 'Running (not ready)' };
  if (phase === 'Succeeded') return { level: 'muted', text: 'Completed' };
  if (phase === 'Failed') return { level: 'err', text: str(s.reason) ?? 'Failed' };
  return { level: 'warn', text: phase };
}

export function Badge({ level, children }: { level: string; children: React.ReactNode }) {
  return <span className={`badge ${level}`}>{children}</span>;
}
