// Just-in-time access: a person asks for a role on a scope for a time with a
// reason; a peer holding access:approve there (never the requester, and only
// for a role whose permissions the peer holds there too) approves or denies
// with a comment; an approval is a role binding with an end time. The sweeper
// ends grants when their time is up: the binding goes, shells opened under it
// close. A request nobody decides in time (24 h by default) lapses and can no
// longer be approved. Every step is audited and sent to the notification webhook.
import { randomUUID } from 'node:crypto';
import { problem, type AccessRequestDetail } from '@wheelhouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import { createBinding, listBindings } from '../auth/identity-store.js';
import { ROLE_PERMISSIONS, can, describeScope } from '../auth/rbac.js';
import type { BuiltinRole, Permission, Principal, Scope } from '../auth/types.js';
import { fail, inTransaction, ok, type Result } from '../service-result.js';
import type { HubDb } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { LiveBus } from '../live/live-bus.js';
import type { ShellRelay } from '../shell/shell-relay.js';
import type { TimelineStore } from '../timeline/timeline-store.js';
import type { NotificationSender } from '../notifications/notification-sender.js';

export interface AccessOptions {
  /** The longest grant anyone may ask for (default 8 h). */
  maxDurationMs?: number;
  /** How long a request waits for a decision before it lapses (default 24 h). */
  pendingTtlMs?: number;
  /** Slack-compatible incoming webhook: each step is POSTed as {text}. */
  webhookUrl?: string;
}

export const DEFAULT_MAX_ACCESS_MS = 8 * 60 * 60_000;
export const DEFAULT_ACCESS_PENDING_TTL_MS = 24 * 60 * 60_000;

/** expired: an approved grant that ended; lapsed: a pending request nobody decided in time. */
export type AccessRequestState = 'pending' | 'approved' | 'denied' | 'expired' | 'lapsed';

export interface AccessRequestView {
  id: string;
  requester: string;
  role: BuiltinRole;
  cluster: string;
  namespace: string;
  durationMs: number;
  reason: string;
  state: AccessRequestState;
  createdAt: number;
  /** When a request still pending lapses (null for requests made before requests lapsed). */
  pendingUntil: number | null;
  decidedBy: string | null;
  decidedAt: number | null;
  comment: string | null;
  expiresAt: number | null;
}

type Row = Database['access_requests'];

const view = (r: Row): AccessRequestView => ({
  id: r.id,
  requester: r.requester,
  role: r.role as BuiltinRole,
  cluster: r.cluster_pattern,
  namespace: r.namespace_pattern,
  durationMs: r.duration_ms,
  reason: r.reason,
  state: r.state as AccessRequestState,
  createdAt: r.created_at,
  pendingUntil: r.pending_until,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  comment: r.comment,
  expiresAt: r.expires_at,
});

/** The scope a request is about: '*' is "every cluster / namespace". */
export const scopeOf = (r: { cluster: string; namespace: string }): Scope => ({
  ...(r.cluster !== '*' ? { cluster: r.cluster } : {}),
  ...(r.namespace !== '*' ? { namespace: r.namespace } : {}),
});

const detailOf = (r: AccessRequestView): AccessRequestDetail => ({
  requestId: r.id,
  requester: r.requester,
  role: r.role,
  cluster: r.cluster,
  namespace: r.namespace,
  durationMs: r.durationMs,
  reason: r.reason,
});

const minutes = (ms: number): string =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`;

/** A pending request whose time to be decided is up (the sweeper may not have marked it lapsed yet). */
const pastDecision = (r: { state: string; pending_until: number | null }, now: number): boolean =>
  r.state === 'lapsed' || (r.state === 'pending' && r.pending_until !== null && r.pending_until <= now);

export interface AccessServiceDeps {
  db: HubDb;
  audit: AuditLog;
  shell: ShellRelay;
  /**
   * The person's other sockets (log streams, the live feed) were authorized
   * under the grant: they close when it ends and the client reconnects under
   * what is left — the rule for a removed binding.
   */
  sockets?: { closeUser(userId: string, reason: string): number };
  timeline: TimelineStore;
  live: LiveBus;
  log: FastifyBaseLogger;
  /** The shared webhook sender (timeout, retries, bounded queue) that carries webhookUrl's messages. */
  sender: NotificationSender;
  options?: AccessOptions;
}

export class AccessService {
  readonly maxDurationMs: number;
  readonly pendingTtlMs: number;

  constructor(private readonly deps: AccessServiceDeps) {
    this.maxDurationMs = deps.options?.maxDurationMs ?? DEFAULT_MAX_ACCESS_MS;
    this.pendingTtlMs = deps.options?.pendingTtlMs ?? DEFAULT_ACCESS_PENDING_TTL_MS;
  }

  /**
   * Puts a step on the cluster's timeline (kind Namespace; a request for every
   * namespace goes to '' — cluster-wide viewers). A request over a cluster
   * pattern has no one timeline: the audit log has it.
   */
  private async onTimeline(
    r: AccessRequestView,
    phase: 'requested' | 'approved' | 'denied' | 'expired' | 'lapsed',
    summary: string,
    extra: { by?: string; comment?: string; expiresAt?: number; shellsEnded?: number } = {},
  ): Promise<void> {
    if (r.cluster.includes('*')) return;
    try {
      const stored = await this.deps.timeline.insert(r.cluster, [
        {
          id: `access:${r.id}:${phase}`,
          time: Date.now(),
          type: 'access',
          severity: phase === 'approved' ? 'warning' : 'info',
          kind: 'Namespace',
          namespace: r.namespace.includes('*') ? '' : r.namespace,
          name: r.namespace,
          summary,
          data: {
            phase,
            requestId: r.id,
            requester: r.requester,
            role: r.role,
            durationMs: r.durationMs,
            reason: r.reason,
            ...extra,
          },
        },
      ]);
      for (const event of stored) this.deps.live.publish({ type: 'timeline', cluster: r.cluster, event });
    } catch (err) {
      // A cluster that is not registered (yet) has no timeline; the audit log still has the step.
      this.deps.log.warn({ err, cluster: r.cluster }, 'access step not put on the timeline');
    }
  }

  private notify(text: string): void {
    const url = this.deps.options?.webhookUrl;
    if (!url) return;
    // Best effort: a slow or failing webhook never holds up or fails the request that caused it.
    const queued = this.deps.sender.enqueue({
      url,
      body: { text },
      done: (outcome) => {
        if (!outcome.ok) this.deps.log.warn({ outcome }, 'access notification webhook failed');
      },
    });
    if (!queued) this.deps.log.warn('access notification dropped: the webhook send queue is full');
  }

  async request(
    p: Principal,
    input: { role: BuiltinRole; cluster: string; namespace: string; durationMs: number; reason: string },
  ): Promise<AccessRequestView> {
    const now = Date.now();
    const row: Row = {
      id: randomUUID(),
      requester_id: p.userId,
      requester: p.username,
      role: input.role,
      cluster_pattern: input.cluster,
      namespace_pattern: input.namespace,
      duration_ms: input.durationMs,
      reason: input.reason,
      state: 'pending',
      created_at: now,
      pending_until: now + this.pendingTtlMs,
      decided_by: null,
      decided_at: null,
      comment: null,
      binding_id: null,
      expires_at: null,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('access_requests').values(row).execute();
      await this.deps.audit.record(
        {
          actor: p.username,
          action: 'access.request',
          clusterId: input.cluster === '*' ? null : input.cluster,
          reason: input.reason,
          outcome: 'requested',
          detail: detailOf(view(row)),
        },
        trx,
      );
    });
    await this.onTimeline(
      view(row),
      'requested',
      `${p.username} asks for ${input.role} on ${input.cluster}/${input.namespace} for ${minutes(input.durationMs)}: ${input.reason}`,
    );
    this.notify(
      `:key: ${p.username} asks for ${input.role} on ${input.cluster}/${input.namespace} for ${minutes(input.durationMs)}: "${input.reason}" (request ${row.id})`,
    );
    return view(row);
  }

  /** mine: the caller's; to-approve: pending ones the caller may decide; active: approved grants the caller has or may decide. */
  async list(p: Principal, which: 'mine' | 'to-approve' | 'active'): Promise<AccessRequestView[]> {
    let q = this.deps.db.selectFrom('access_requests').selectAll().orderBy('created_at', 'desc').limit(500);
    if (which === 'mine') q = q.where('requester_id', '=', p.userId);
    if (which === 'to-approve')
      q = q
        .where('state', '=', 'pending')
        .where('requester_id', '!=', p.userId)
        .where((eb) => eb.or([eb('pending_until', 'is', null), eb('pending_until', '>', Date.now())]));
    if (which === 'active') q = q.where('state', '=', 'approved');
    const rows = (await q.execute()).map(view);
    if (which === 'mine') return rows;
    return rows.filter(
      (r) => (which === 'active' && r.requester === p.username) || this.missingToDecide(p, r) === null,
    );
  }

  /** The permission the decider lacks on the request's scope (access:approve, or one of the role's), or null. */
  private missingToDecide(
    p: Principal,
    r: { role: BuiltinRole; cluster: string; namespace: string },
  ): Permission | null {
    const scope = scopeOf(r);
    if (!can(p.bindings, 'access:approve', scope)) return 'access:approve';
    // No one hands out more than they hold there themselves.
    return ROLE_PERMISSIONS[r.role].find((perm) => !can(p.bindings, perm, scope)) ?? null;
  }

  async decide(
    p: Principal,
    id: string,
    decision: 'approve' | 'deny',
    comment: string | undefined,
  ): Promise<Result<AccessRequestView>> {
    const action = decision === 'approve' ? 'access.approve' : 'access.deny';
    const refuse = async (r: AccessRequestView, error: string, prob: ReturnType<typeof problem>) => {
      await this.deps.audit.record({
        actor: p.username,
        action,
        clusterId: r.cluster === '*' ? null : r.cluster,
        outcome: 'denied',
        detail: { ...detailOf(r), error, ...(comment ? { comment } : {}) },
      });
      return fail<AccessRequestView>(prob);
    };
    const row = await this.deps.db.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return fail(problem('not_found', { what: `access request ${id}` }));
    const r = view(row);
    if (row.requester_id === p.userId)
      return refuse(r, 'self_approval', problem('self_approval', { user: p.username }));
    const missing = this.missingToDecide(p, r);
    if (missing !== null) {
      const scope = scopeOf(r);
      return refuse(
        r,
        'forbidden',
        problem(
          'forbidden',
          { user: p.username, permission: missing, scope: describeScope(scope) },
          { permission: missing, scope },
        ),
      );
    }
    const now = Date.now();
    const result = await inTransaction(this.deps.db, async (trx, abort) => {
      // Guarded: two peers deciding at once decide once.
      const fresh = await trx
        .selectFrom('access_requests')
        .select(['state', 'pending_until'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (fresh && pastDecision(fresh, now)) {
        // Lapsed (or due to, before the sweeper got to it): a stale request is never approved.
        const expiredAt = fresh.pending_until ?? now;
        abort(
          problem(
            'request_expired',
            { id, expiredAt: new Date(expiredAt).toISOString(), ttl: minutes(this.pendingTtlMs) },
            { expiredAt },
          ),
        );
      }
      if (fresh?.state !== 'pending') {
        const state = fresh?.state ?? 'gone';
        abort(problem('request_not_pending', { id, state }, { state }));
      }
      let bindingId: string | null = null;
      let expiresAt: number | null = null;
      if (decision === 'approve') {
        expiresAt = now + r.durationMs;
        bindingId = (
          await createBinding(trx, {
            userId: row.requester_id,
            role: r.role,
            clusterPattern: r.cluster,
            namespacePattern: r.namespace,
            createdBy: `access:${p.username}`,
            expiresAt,
          })
        ).id;
      }
      await trx
        .updateTable('access_requests')
        .set({
          state: decision === 'approve' ? 'approved' : 'denied',
          decided_by: p.username,
          decided_at: now,
          comment: comment ?? null,
          binding_id: bindingId,
          expires_at: expiresAt,
        })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(
        {
          actor: p.username,
          action,
          clusterId: r.cluster === '*' ? null : r.cluster,
          outcome: 'succeeded',
          detail: {
            ...detailOf(r),
            ...(comment ? { comment } : {}),
            ...(bindingId !== null && expiresAt !== null ? { bindingId, expiresAt } : {}),
          },
        },
        trx,
      );
      return view((await trx.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst()) ?? row);
    });
    if (!result.ok) {
      if (result.problem.code === 'request_not_pending') return refuse(r, 'not_pending', result.problem);
      if (result.problem.code === 'request_expired') return refuse(r, 'expired', result.problem);
      return result;
    }
    const decided = result.value;
    await this.onTimeline(
      decided,
      decision === 'approve' ? 'approved' : 'denied',
      `${p.username} ${decision === 'approve' ? 'approved' : 'denied'} ${r.requester}'s ${r.role} on ${r.cluster}/${r.namespace}${comment ? `: ${comment}` : ''}`,
      {
        by: p.username,
        ...(comment ? { comment } : {}),
        ...(decided.expiresAt !== null ? { expiresAt: decided.expiresAt } : {}),
      },
    );
    this.notify(
      decision === 'approve'
        ? `:white_check_mark: ${p.username} approved ${r.requester}'s ${r.role} on ${r.cluster}/${r.namespace} for ${minutes(r.durationMs)}${comment ? `: "${comment}"` : ''}`
        : `:no_entry: ${p.username} denied ${r.requester}'s ${r.role} on ${r.cluster}/${r.namespace}${comment ? `: "${comment}"` : ''}`,
    );
    return ok(result.value);
  }

  /** Lapses the pending requests nobody decided in time. Returns how many lapsed. */
  async lapseDue(now = Date.now()): Promise<number> {
    const due = await this.deps.db
      .selectFrom('access_requests')
      .selectAll()
      .where('state', '=', 'pending')
      .where('pending_until', '<=', now)
      .execute();
    let lapsed = 0;
    for (const row of due) {
      const r = view(row);
      const mine = await this.deps.db.transaction().execute(async (trx) => {
        const res = await trx
          .updateTable('access_requests')
          .set({ state: 'lapsed' })
          .where('id', '=', row.id)
          .where('state', '=', 'pending')
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return false; // decided meanwhile, or another replica's sweeper
        await this.deps.audit.record(
          {
            actor: 'system',
            action: 'access.lapse',
            clusterId: r.cluster === '*' ? null : r.cluster,
            outcome: 'expired',
            detail: { ...detailOf(r), pendingUntil: row.pending_until ?? now },
          },
          trx,
        );
        return true;
      });
      if (!mine) continue;
      lapsed++;
      const waited = minutes((row.pending_until ?? now) - row.created_at);
      await this.onTimeline(
        { ...r, state: 'lapsed' },
        'lapsed',
        `${r.requester}'s request for ${r.role} on ${r.cluster}/${r.namespace} expired unanswered after ${waited}`,
      );
      this.notify(
        `:hourglass: ${r.requester}'s request for ${r.role} on ${r.cluster}/${r.namespace} expired unanswered after ${waited} (request ${r.id})`,
      );
    }
    return lapsed;
  }

  /** Ends the grants whose time is up: binding removed, shells that lost pod:exec closed. Returns how many ended. */
  async expireDue(now = Date.now()): Promise<number> {
    const due = await this.deps.db
      .selectFrom('access_requests')
      .selectAll()
      .where('state', '=', 'approved')
      .where('expires_at', '<=', now)
      .execute();
    for (const row of due) {
      const r = view(row);
      const ended = await this.deps.db.transaction().execute(async (trx) => {
        const res = await trx
          .updateTable('access_requests')
          .set({ state: 'expired' })
          .where('id', '=', row.id)
          .where('state', '=', 'approved')
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return false; // another sweeper (replica) got it
        if (row.binding_id) await trx.deleteFrom('role_bindings').where('id', '=', row.binding_id).execute();
        return true;
      });
      if (!ended) continue;
      // What the person may still do without the grant decides which of their shells stay open.
      const bindings = await listBindings(this.deps.db, row.requester_id);
      const shellsEnded = this.deps.shell.endWhereDenied(row.requester, (cluster, namespace, node) =>
        // A node shell needs node:shell on the whole cluster, not pod:exec on the node-shell namespace.
        node !== undefined
          ? can(bindings, 'node:shell', { cluster })
          : can(bindings, 'pod:exec', { cluster, namespace }),
      );
      this.deps.sockets?.closeUser(row.requester_id, 'the just-in-time access they were opened under has ended');
      await this.deps.audit.record({
        actor: 'system',
        action: 'access.expire',
        clusterId: r.cluster === '*' ? null : r.cluster,
        outcome: 'expired',
        detail: { ...detailOf(r), bindingId: row.binding_id ?? '', shellsEnded },
      });
      await this.onTimeline(
        r,
        'expired',
        `${r.requester}'s ${r.role} on ${r.cluster}/${r.namespace} ended${shellsEnded > 0 ? `; ${shellsEnded} shell(s) closed` : ''}`,
        { shellsEnded },
      );
      this.notify(
        `:hourglass: ${r.requester}'s ${r.role} on ${r.cluster}/${r.namespace} ended${shellsEnded > 0 ? ` (${shellsEnded} shell(s) closed)` : ''}`,
      );
    }
    return due.length;
  }
}
