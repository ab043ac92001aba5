// Commands: validated, authorized, persisted (with their audit record) and only
// then acknowledged; dispatched at least once to the cluster's agent; every
// state change recorded once, timestamped, on the target's timeline and live.
import { randomUUID } from 'node:crypto';
import {
  COMMAND_STATES,
  TERMINAL_STATES,
  commandAuditAction,
  parseJsonObject,
  type ActionRequest,
  type CommandEnvelope,
  type CommandState,
  type JsonObject,
  type TimelineEvent,
  type TimelineEventInput,
  WorkloadPolicy,
} from '@wheelhouse/protocol';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { ClusterView } from '../clusters/cluster-store.js';
import type { LiveBus } from '../live/live-bus.js';
import type { HubMetrics } from '../metrics.js';
import { matchesPattern } from '../auth/rbac.js';
import { mergeNewestFirst, perStreamLimit } from '../store/bounded-merge.js';
import { distinctNamespaces } from '../store/distinct-namespaces.js';
import type { HubDb } from '../store/db.js';
import type { CommandRow, Database } from '../store/schema.js';
import { insertTimelineEvents } from '../timeline/timeline-store.js';
import { toCommandView, type CommandView } from './command-view.js';

/** Which states a command may move to from each state. Terminal states have none. */
const NEXT: Record<CommandState, readonly CommandState[]> = {
  pending: ['dispatched', 'running', 'succeeded', 'failed', 'rejected', 'expired'],
  dispatched: ['running', 'succeeded', 'failed', 'rejected', 'expired'],
  running: ['succeeded', 'failed', 'rejected', 'expired'],
  succeeded: [],
  failed: [],
  rejected: [],
  expired: [],
};
const NON_TERMINAL: CommandState[] = ['pending', 'dispatched', 'running'];
type TerminalState = Exclude<CommandState, 'pending' | 'dispatched' | 'running'>;
const endsCommand = (s: CommandState): s is TerminalState => TERMINAL_STATES.includes(s);

export interface CommandServiceDeps {
  db: HubDb;
  audit: AuditLog;
  live: LiveBus;
  metrics: HubMetrics;
  /** How long a command may wait for its agent before it expires. */
  ttlMs: number;
}

// The request check lives in its own module; re-exported for the callers that knew it here.
export { checkActionRequest, validateActionRequest } from './action-request-check.js';

/** What the agent receives: the command's view, without the hub's bookkeeping. */
export function envelopeOf(r: CommandRow): CommandEnvelope {
  const v = toCommandView(r);
  const stored = r.policy === null ? null : WorkloadPolicy.safeParse(JSON.parse(r.policy));
  // A row from before policies existed carries none: the agent applies its strict default.
  const policy = stored?.success ? stored.data : undefined;
  return {
    id: v.id,
    action: v.action,
    target: v.target,
    params: v.params,
    reason: v.reason,
    dryRun: v.dryRun,
    requestedBy: v.requestedBy,
    requestedAt: v.createdAt,
    ...(policy ? { policy } : {}),
  };
}

export const PREVIEW_FILTERS = ['exclude', 'include', 'only'] as const;
export type PreviewFilter = (typeof PREVIEW_FILTERS)[number];

export class CommandService {
  constructor(private readonly deps: CommandServiceDeps) {}

  private actionEvent(r: CommandRow, state: CommandState, at: number, message: string | null): TimelineEventInput {
    const severity = state === 'failed' || state === 'rejected' || state === 'expired' ? 'warning' : 'info';
    const verb = r.dry_run === 1 ? `${r.action} (dry run)` : r.action;
    return {
      id: `command:${r.id}:${state}`,
      time: at,
      type: 'action',
      severity,
      kind: r.target_kind,
      namespace: r.target_namespace,
      name: r.target_name,
      summary: `${verb} by ${r.requested_by}: ${state}${message ? ` — ${message}` : ''}`,
      data: { commandId: r.id, action: r.action, state, requestedBy: r.requested_by, reason: r.reason, message },
    };
  }

  /**
   * Writes the event inside the caller's transaction; returns it for publishing after commit.
   * A dry run changes nothing, so it is not history: no timeline event (its audit records remain).
   */
  private async recordEvent(
    trx: Transaction<Database>,
    cluster: string,
    row: CommandRow,
    e: TimelineEventInput,
  ): Promise<TimelineEvent[]> {
    if (row.dry_run === 1) return [];
    return insertTimelineEvents(trx, cluster, [e]);
  }

  private publishEvents(events: readonly TimelineEvent[]): void {
    for (const event of events) this.deps.live.publish({ type: 'timeline', cluster: event.cluster, event });
  }

  /** Persists a validated request (command + transition + audit + timeline in one transaction). */
  async create(
    actor: string,
    cluster: ClusterView,
    req: ActionRequest,
    params: JsonObject,
    policy: WorkloadPolicy = { podSecurity: cluster.podSecurity, secretReferences: false },
  ): Promise<CommandView> {
    const now = Date.now();
    const row: CommandRow = {
      id: randomUUID(),
      cluster_id: cluster.name,
      action: req.action,
      target_kind: req.target.kind,
      target_namespace: req.target.namespace,
      target_name: req.target.name,
      params: JSON.stringify(params),
      reason: req.reason ?? null,
      dry_run: req.dryRun ? 1 : 0,
      requested_by: actor,
      state: 'pending',
      message: null,
      result: null,
      created_at: now,
      updated_at: now,
      expires_at: now + this.deps.ttlMs,
      dispatch_count: 0,
      policy: JSON.stringify(policy),
    };
    const events = await this.deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('commands').values(row).execute();
      await trx
        .insertInto('command_transitions')
        .values({ command_id: row.id, state: 'pending', at: now, message: null })
        .execute();
      await this.deps.audit.record(
        {
          actor,
          action: commandAuditAction(req.action, req.dryRun),
          clusterId: cluster.name,
          target: req.target,
          params,
          reason: req.reason ?? null,
          outcome: 'requested',
          detail: { commandId: row.id, dryRun: req.dryRun, policy },
        },
        trx,
      );
      return this.recordEvent(trx, cluster.name, row, this.actionEvent(row, 'pending', now, null));
    });
    this.publishEvents(events);
    this.deps.metrics.commands.inc({ state: 'pending' });
    const view = toCommandView(row);
    this.deps.live.publish({ type: 'command', cluster: cluster.name, command: view });
    return view;
  }

  /**
   * Moves a command to a new state if that is a legal step from where it is;
   * returns null (and changes nothing) otherwise — so duplicates and late
   * updates after a terminal state are ignored and each state is recorded once.
   */
  async transition(
    id: string,
    to: CommandState,
    message?: string | null,
    result?: JsonObject | null,
  ): Promise<CommandView | null> {
    const now = Date.now();
    const updated = await this.deps.db.transaction().execute(async (trx) => {
      const from = COMMAND_STATES.filter((s) => NEXT[s].includes(to));
      const row = await trx
        .updateTable('commands')
        .set({
          state: to,
          updated_at: now,
          ...(message !== undefined ? { message } : {}),
          ...(result !== undefined ? { result: result === null ? null : JSON.stringify(result) } : {}),
        })
        .where('id', '=', id)
        .where('state', 'in', from)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      await trx
        .insertInto('command_transitions')
        .values({ command_id: id, state: to, at: now, message: message ?? null })
        .execute();
      const events = await this.recordEvent(trx, row.cluster_id, row, this.actionEvent(row, to, now, message ?? null));
      if (endsCommand(to)) {
        await this.deps.audit.record(
          {
            actor: row.requested_by,
            action: commandAuditAction(row.action, row.dry_run === 1),
            clusterId: row.cluster_id,
            target: { kind: row.target_kind, namespace: row.target_namespace, name: row.target_name },
            params: parseJsonObject(row.params),
            reason: row.reason,
            outcome: to,
            detail: { commandId: id, message: message ?? null, dryRun: row.dry_run === 1 },
          },
          trx,
        );
      }
      return { row, events };
    });
    if (!updated) return null;
    this.publishEvents(updated.events);
    this.deps.metrics.commands.inc({ state: to });
    const view = toCommandView(updated.row);
    this.deps.live.publish({ type: 'command', cluster: updated.row.cluster_id, command: view });
    return view;
  }

  /** Resolves with the command once terminal, or null after timeoutMs. */
  async waitForTerminal(id: string, timeoutMs: number): Promise<CommandView | null> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: CommandView | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(v);
      };
      const unsubscribe = this.deps.live.subscribe((m) => {
        if (m.type === 'command' && m.command.id === id && TERMINAL_STATES.includes(m.command.state)) finish(m.command);
      });
      const timer = setTimeout(() => finish(null), timeoutMs);
      void this.get(id).then((c) => {
        if (c && TERMINAL_STATES.includes(c.state)) finish(c);
      });
    });
  }

  /** A progress message for a running command (drain: "evicted 3/10 pods"): shown live, no new state. */
  async progress(id: string, message: string): Promise<CommandView | null> {
    const row = await this.deps.db
      .updateTable('commands')
      .set({ message, updated_at: Date.now() })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    const view = toCommandView(row);
    this.deps.live.publish({ type: 'command', cluster: row.cluster_id, command: view });
    return view;
  }

  /** Whether the command exists and belongs to the cluster: an agent may only report on its own cluster's commands. */
  async belongsTo(id: string, cluster: string): Promise<boolean> {
    const row = await this.deps.db
      .selectFrom('commands')
      .select('id')
      .where('id', '=', id)
      .where('cluster_id', '=', cluster)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Commands not yet terminal for a cluster, oldest first: what a (re)connected agent must receive. */
  async outstanding(cluster: string): Promise<CommandRow[]> {
    return this.deps.db
      .selectFrom('commands')
      .selectAll()
      .where('cluster_id', '=', cluster)
      .where('state', 'in', NON_TERMINAL)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async noteDispatched(id: string): Promise<void> {
    await this.deps.db
      .updateTable('commands')
      .set((eb) => ({ dispatch_count: eb('dispatch_count', '+', 1) }))
      .where('id', '=', id)
      .execute();
    await this.transition(id, 'dispatched');
  }

  /** Expires commands whose agent did not take them up in time. */
  async expireDue(now = Date.now()): Promise<number> {
    const due = await this.deps.db
      .selectFrom('commands')
      .select('id')
      .where('state', 'in', NON_TERMINAL)
      .where('expires_at', '<', now)
      .execute();
    let n = 0;
    for (const { id } of due) {
      const v = await this.transition(
        id,
        'expired',
        'the cluster agent did not complete the command before it expired (agent offline?)',
      );
      if (v) n++;
    }
    return n;
  }

  async get(
    id: string,
  ): Promise<(CommandView & { transitions: { state: string; at: number; message: string | null }[] }) | null> {
    const row = await this.deps.db.selectFrom('commands').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const transitions = await this.deps.db
      .selectFrom('command_transitions')
      .select(['state', 'at', 'message'])
      .where('command_id', '=', id)
      .orderBy('seq')
      .execute();
    return { ...toCommandView(row), transitions };
  }

  /**
   * Newest first, only what `visible` lets the caller see: per cluster 'all',
   * or namespace patterns (read with `matchesPattern`). Filtered in SQL, one
   * index seek per visible cluster or (cluster, namespace), merged here and
   * bounded by READ_BUDGET (issue 13 item 8); `nextCursor` is "createdAt:id".
   */
  async list(
    filter: {
      cluster?: string;
      state?: string;
      /** Dry runs: left out (default), included, or alone. */
      previews?: PreviewFilter;
      limit: number;
      cursor?: { createdAt: number; id: string };
    },
    visible: (cluster: string) => 'all' | readonly string[] = () => 'all',
  ): Promise<{ items: CommandView[]; nextCursor: string | null }> {
    const db = this.deps.db;
    const clusters = filter.cluster
      ? [filter.cluster]
      : (await db.selectFrom('clusters').select('id').orderBy('id').execute()).map((c) => c.id);
    const scopes: { cluster: string; namespace?: string }[] = [];
    for (const cluster of clusters) {
      const v = visible(cluster);
      if (v === 'all') scopes.push({ cluster });
      else if (v.length > 0)
        for (const namespace of await this.namespacesOf(cluster))
          if (namespace !== '' && v.some((p) => matchesPattern(p, namespace))) scopes.push({ cluster, namespace });
    }
    const perStream = perStreamLimit(filter.limit, scopes.length);
    const streams = await Promise.all(
      scopes.map((scope) => {
        let sel = db.selectFrom('commands').selectAll().where('cluster_id', '=', scope.cluster);
        if (scope.namespace !== undefined) sel = sel.where('target_namespace', '=', scope.namespace);
        if (filter.state) sel = sel.where('state', '=', filter.state);
        const previews = filter.previews ?? 'exclude';
        if (previews !== 'include') sel = sel.where('dry_run', '=', previews === 'only' ? 1 : 0);
        const c = filter.cursor;
        if (c) sel = sel.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(c.createdAt, c.id)));
        return sel.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(perStream).execute();
      }),
    );
    const newestFirst = (a: CommandRow, b: CommandRow): number =>
      b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    const { items, more } = mergeNewestFirst(streams, perStream, filter.limit, newestFirst);
    const last = items.at(-1);
    return { items: items.map(toCommandView), nextCursor: more && last ? `${last.created_at}:${last.id}` : null };
  }

  /** The namespaces commands of the cluster targeted (one index seek each). */
  private namespacesOf(cluster: string): Promise<string[]> {
    return distinctNamespaces(this.deps.db, 'commands', cluster);
  }
}
