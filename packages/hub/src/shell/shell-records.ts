// What a pod shell leaves behind besides its bytes: the session row, the audit
// records (shell.start allowed/rejected, shell.end) and the `shell` timeline
// events (start, end, denied). The relay moves bytes; this module writes history.
import { randomUUID } from 'node:crypto';
import type { ShellEndReason, TimelineEventInput } from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { HttpError } from '../http/errors.js';
import type { LiveBus } from '../live/live-bus.js';
import type { HubDb } from '../store/db.js';
import type { TimelineStore } from '../timeline/timeline-store.js';
import type { ShellStore } from './shell-store.js';

/** The shell the agent starts when none is asked for: the first of these the container has (agent: DEFAULT_SHELLS). */
export const DEFAULT_SHELL_COMMAND: readonly string[] = ['bash', 'sh'];

/** A command as one line for people and recordings; the default shows its candidates ("bash|sh"). */
export const commandLine = (command: readonly string[] | null): string =>
  command ? command.join(' ') : DEFAULT_SHELL_COMMAND.join('|');

/** The pod a shell runs in; `node`: a node shell, whose pod is the agent's and whose subject is the node. */
export type PodRef = { cluster: string; namespace: string; pod: string; node?: string };
export type Owner = { kind: string; name: string };

/** A session's facts as they are recorded. */
export interface ShellSessionFacts extends PodRef {
  id: string;
  user: string;
  container: string;
  /** null: the default shell. */
  command: readonly string[] | null;
  clientAddress: string;
  startedAt: number;
  owner?: Owner;
  recorded: boolean;
  inputCaptured: boolean;
}

export interface ShellEnd {
  reason: ShellEndReason;
  endedAt: number;
  exitCode: number | null;
  /** The command the agent ran (known once opened). */
  command: readonly string[];
  /** A recorded session: its size, the cap, and whether the cap was reached (then reason is recording-limit). */
  recording?: { bytes: number; capBytes: number; full: boolean };
}

export interface ShellRecordsDeps {
  db: HubDb;
  store: ShellStore;
  audit: AuditLog;
  timeline: TimelineStore;
  live: LiveBus;
  /** Refused shells one user may put on timelines per minute (default 5); the audit log keeps every refusal. */
  refusalEventsPerMinute?: number;
}

export const DEFAULT_REFUSAL_EVENTS_PER_MINUTE = 5;

// A node shell is recorded against the node (audit target, timeline), its pod named in the params.
const podTarget = (p: PodRef): { kind: string; namespace: string; name: string } =>
  p.node !== undefined
    ? { kind: 'Node', namespace: '', name: p.node }
    : { kind: 'Pod', namespace: p.namespace, name: p.pod };

/** Where a shell's timeline events go: the pod's timeline, or the node's for a node shell. */
const timelineSubject = (p: PodRef): { kind: string; namespace: string; name: string } => podTarget(p);

/** Extra audit params of a node shell: the node and the pod (namespace/name) the agent made for it. */
const nodeParams = (p: PodRef): Record<string, string> =>
  p.node !== undefined ? { node: p.node, pod: `${p.namespace}/${p.pod}` } : {};

/** How the subject reads in a timeline summary. */
const where = (s: { node?: string; container: string }): string =>
  s.node !== undefined ? `on node ${s.node}` : `in ${s.container}`;

export class ShellRecords {
  /** Per user: the start of the current minute and the refusals written in it. */
  private readonly refusals = new Map<string, { since: number; count: number }>();

  constructor(private readonly deps: ShellRecordsDeps) {}

  /** Row and audit record in one transaction (durable before the exec opens), then the timeline event. */
  async started(s: ShellSessionFacts): Promise<void> {
    // A node shell runs the agent's node-shell command, known once opened (the row and shell.end carry it).
    const command = s.command ?? (s.node !== undefined ? [] : DEFAULT_SHELL_COMMAND);
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.store.insertStarted(trx, { ...s, command });
      await this.deps.audit.record(
        {
          actor: s.user,
          action: 'shell.start',
          clusterId: s.cluster,
          target: podTarget(s),
          params: {
            sessionId: s.id,
            container: s.container,
            command: [...command],
            clientAddress: s.clientAddress,
            ...nodeParams(s),
          },
          outcome: 'allowed',
        },
        trx,
      );
    });
    await this.publish(s.cluster, {
      id: `shell:${s.id}:start`,
      time: s.startedAt,
      type: 'shell',
      severity: 'info',
      ...timelineSubject(s),
      ...(s.owner ? { owner: s.owner } : {}),
      summary: `${s.node !== undefined ? 'node shell' : 'shell'} opened by ${s.user} ${where(s)}${s.command ? `: ${s.command.join(' ')}` : ''}`,
      data: {
        sessionId: s.id,
        ...nodeParams(s),
        phase: 'start',
        user: s.user,
        container: s.container,
        command: [...command],
        clientAddress: s.clientAddress,
      },
    });
  }

  async ended(s: ShellSessionFacts, end: ShellEnd): Promise<void> {
    const { reason, exitCode, endedAt } = end;
    await this.deps.store.setEnded(s.id, endedAt, reason, exitCode);
    const durationMs = endedAt - s.startedAt;
    await this.deps.audit.record({
      actor: s.user,
      action: 'shell.end',
      clusterId: s.cluster,
      target: podTarget(s),
      params: { sessionId: s.id, container: s.container, command: [...end.command], ...nodeParams(s) },
      outcome: reason === 'closed' ? 'succeeded' : reason === 'denied' ? 'denied' : 'failed',
      reason,
      detail: { durationMs, exitCode, reason, ...(end.recording ? { recording: end.recording } : {}) },
    });
    await this.publish(s.cluster, {
      id: `shell:${s.id}:end`,
      time: endedAt,
      type: 'shell',
      severity: reason === 'closed' || reason === 'idle' ? 'info' : 'warning',
      ...timelineSubject(s),
      ...(s.owner ? { owner: s.owner } : {}),
      summary: `${s.node !== undefined ? 'node shell' : 'shell'} of ${s.user} ${where(s)} ended (${reason}${exitCode !== null ? `, exit code ${exitCode}` : ''}) after ${Math.round(durationMs / 1000)} s`,
      data: {
        sessionId: s.id,
        ...nodeParams(s),
        phase: 'end',
        user: s.user,
        container: s.container,
        reason,
        durationMs,
        exitCode,
      },
    });
  }

  /** A detached session taken back by its user: counted on the row, audited, and on the pod's timeline. */
  async reattached(
    s: ShellSessionFacts,
    r: { at: number; detachedMs: number; scrollbackBytes: number; clientAddress: string },
  ): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('shell_sessions')
        .set((eb) => ({ reattach_count: eb('reattach_count', '+', 1) }))
        .where('id', '=', s.id)
        .execute();
      await this.deps.audit.record(
        {
          actor: s.user,
          action: 'shell.reattach',
          clusterId: s.cluster,
          target: podTarget(s),
          params: { sessionId: s.id, container: s.container, clientAddress: r.clientAddress },
          outcome: 'succeeded',
          detail: { detachedMs: r.detachedMs, scrollbackBytes: r.scrollbackBytes },
        },
        trx,
      );
    });
    await this.publish(s.cluster, {
      id: `shell:${s.id}:reattach:${r.at}`,
      time: r.at,
      type: 'shell',
      severity: 'info',
      ...timelineSubject(s),
      ...(s.owner ? { owner: s.owner } : {}),
      summary: `${s.node !== undefined ? 'node shell' : 'shell'} of ${s.user} ${where(s)} reattached after ${Math.round(r.detachedMs / 1000)} s detached`,
      data: { sessionId: s.id, phase: 'reattach', user: s.user, container: s.container, detachedMs: r.detachedMs },
    });
  }

  /** A start refused after the permission check (tier, agent, pod, container, limit): audited with the API error. */
  async rejected(user: string, p: PodRef, err: HttpError): Promise<void> {
    await this.deps.audit.record({
      actor: user,
      action: 'shell.start',
      clusterId: p.cluster,
      target: podTarget(p),
      ...(p.node !== undefined ? { params: { node: p.node } } : {}),
      outcome: 'rejected',
      reason: err.message,
      detail: { error: err.code },
    });
  }

  /**
   * A refused shell on the timeline (the audit record is written by the permission check), at most
   * refusalEventsPerMinute per user; returns whether it was written. The caller has checked the pod exists.
   */
  async denied(p: PodRef, user: string, why: string, owner?: Owner): Promise<boolean> {
    if (!this.takeRefusal(user, Date.now())) return false;
    await this.publish(p.cluster, {
      id: `shell:denied:${randomUUID()}`,
      time: Date.now(),
      type: 'shell',
      severity: 'warning',
      kind: 'Pod',
      namespace: p.namespace,
      name: p.pod,
      ...(owner ? { owner } : {}),
      summary: `shell refused for ${user}: ${why}`,
      data: { phase: 'denied', user, reason: 'denied', message: why },
    });
    return true;
  }

  private takeRefusal(user: string, now: number): boolean {
    const limit = this.deps.refusalEventsPerMinute ?? DEFAULT_REFUSAL_EVENTS_PER_MINUTE;
    const w = this.refusals.get(user);
    if (!w || now - w.since >= 60_000) {
      if (this.refusals.size > 10_000) this.refusals.clear(); // bounded: one small entry per recent user
      this.refusals.set(user, { since: now, count: 1 });
      return limit > 0;
    }
    if (w.count >= limit) return false;
    w.count++;
    return true;
  }

  private async publish(cluster: string, e: TimelineEventInput): Promise<void> {
    const stored = await this.deps.timeline.insert(cluster, [e]);
    for (const event of stored) this.deps.live.publish({ type: 'timeline', cluster, event });
  }
}
