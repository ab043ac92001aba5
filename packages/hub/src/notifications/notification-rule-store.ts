// Notification rules in the store: created and deleted by administrators
// (audited, in the same transaction), read by the dispatcher, and each rule's
// delivery record (last outcome, counts) kept on its row.
import { randomUUID } from 'node:crypto';
import {
  maskWebhookUrl,
  problem,
  type NotificationDelivery,
  type NotificationEvent,
  type NotificationFormat,
  type NotificationRuleInput,
  type NotificationRuleView,
  type Severity,
} from '@wheelhouse/protocol';
import { sql, type Selectable } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import { inTransaction, type Result } from '../service-result.js';
import type { HubDb } from '../store/db.js';
import type { NotificationRulesTable } from '../store/schema.js';

type RuleRow = Selectable<NotificationRulesTable>;

/** A rule as the dispatcher uses it: with its URL. */
export interface NotificationRule {
  id: string;
  name: string;
  cluster: string;
  namespace: string;
  minSeverity: Severity;
  events: NotificationEvent[];
  format: NotificationFormat;
  url: string;
  /** A rule sends only what happened after it was made. */
  createdAt: number;
}

/** How many rules a hub keeps: each is read on every dispatch pass. */
export const MAX_NOTIFICATION_RULES = 100;

/** Rows are written only from validated NotificationRuleInput: the assertions trust our own table. */
function toRule(r: RuleRow): NotificationRule {
  return {
    id: r.id,
    name: r.name,
    cluster: r.cluster_pattern,
    namespace: r.namespace_pattern,
    minSeverity: r.min_severity as Severity,
    events: JSON.parse(r.events) as NotificationEvent[],
    format: r.format as NotificationFormat,
    url: r.url,
    createdAt: r.created_at,
  };
}

function toView(r: RuleRow): NotificationRuleView {
  const { url, createdAt, ...rule } = toRule(r);
  return {
    ...rule,
    url: maskWebhookUrl(url),
    createdBy: r.created_by,
    createdAt,
    lastDelivery:
      r.last_at === null
        ? null
        : {
            at: r.last_at,
            ok: r.last_ok === 1,
            ...(r.last_status !== null ? { status: r.last_status } : {}),
            ...(r.last_error !== null ? { error: r.last_error } : {}),
            attempts: r.last_attempts ?? 0,
          },
    counts: {
      delivered: r.delivered,
      failed: r.failed,
      suppressed: r.suppressed,
      dropped: r.dropped,
    },
  };
}

const auditDetail = (r: { id: string; name: string; cluster: string; namespace: string; format: string }) => ({
  ruleId: r.id,
  name: r.name,
  cluster: r.cluster,
  namespace: r.namespace,
  format: r.format,
});

export class NotificationRuleStore {
  constructor(
    private readonly db: HubDb,
    private readonly audit: AuditLog,
  ) {}

  async list(): Promise<NotificationRuleView[]> {
    const rows = await this.db
      .selectFrom('notification_rules')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toView);
  }

  async view(id: string): Promise<NotificationRuleView | null> {
    const r = await this.db.selectFrom('notification_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toView(r) : null;
  }

  /** Every rule, with URLs, for the dispatcher. */
  async rules(): Promise<NotificationRule[]> {
    return (await this.db.selectFrom('notification_rules').selectAll().execute()).map(toRule);
  }

  async rule(id: string): Promise<NotificationRule | null> {
    const r = await this.db.selectFrom('notification_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRule(r) : null;
  }

  async create(actor: string, input: NotificationRuleInput, now = Date.now()): Promise<Result<NotificationRuleView>> {
    return inTransaction(this.db, async (trx, abort) => {
      const { count } = await trx
        .selectFrom('notification_rules')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      if (count >= MAX_NOTIFICATION_RULES)
        abort(
          problem('conflict', { message: `at most ${MAX_NOTIFICATION_RULES} notification rules; delete one first` }),
        );
      const row: RuleRow = {
        id: randomUUID(),
        name: input.name,
        cluster_pattern: input.cluster,
        namespace_pattern: input.namespace,
        min_severity: input.minSeverity,
        events: JSON.stringify(input.events),
        format: input.format,
        url: input.url,
        created_by: actor,
        created_at: now,
        last_at: null,
        last_ok: null,
        last_status: null,
        last_error: null,
        last_attempts: null,
        delivered: 0,
        failed: 0,
        suppressed: 0,
        dropped: 0,
      };
      await trx.insertInto('notification_rules').values(row).execute();
      await this.audit.record(
        {
          actor,
          action: 'notification.rule.create',
          outcome: 'succeeded',
          detail: auditDetail({ ...input, id: row.id }),
        },
        trx,
      );
      return toView(row);
    });
  }

  async delete(actor: string, id: string): Promise<Result<void>> {
    return inTransaction(this.db, async (trx, abort) => {
      const r =
        (await trx.selectFrom('notification_rules').selectAll().where('id', '=', id).executeTakeFirst()) ??
        abort(problem('not_found', { what: `notification rule ${id}` }));
      await trx.deleteFrom('notification_sent').where('rule_id', '=', id).execute();
      await trx.deleteFrom('notification_rules').where('id', '=', id).execute();
      await this.audit.record(
        { actor, action: 'notification.rule.delete', outcome: 'succeeded', detail: auditDetail(toRule(r)) },
        trx,
      );
    });
  }

  /** Records a delivery's outcome on its rule (a rule deleted meanwhile: nothing). */
  async recordDelivery(id: string, d: NotificationDelivery): Promise<void> {
    await this.db
      .updateTable('notification_rules')
      .set((eb) => ({
        last_at: d.at,
        last_ok: d.ok ? 1 : 0,
        last_status: d.status ?? null,
        last_error: d.error ?? null,
        last_attempts: d.attempts,
        ...(d.ok ? { delivered: eb('delivered', '+', 1) } : { failed: eb('failed', '+', 1) }),
      }))
      .where('id', '=', id)
      .execute();
  }

  /** Counts messages left out: by the rate limit (suppressed) or a full queue (dropped). */
  async countLeftOut(id: string, what: 'suppressed' | 'dropped', n = 1): Promise<void> {
    await this.db
      .updateTable('notification_rules')
      .set({ [what]: sql<number>`${sql.ref(what)} + ${n}` })
      .where('id', '=', id)
      .execute();
  }
}
