// The notification dispatcher's read (both stores; PostgreSQL the real server
// the run starts): each pass seeks (new events by a seq range on the primary key, the
// re-read of late commits by the index on time), an event whose transaction
// commits after a higher seq was read still goes out, once, and a new leader
// continues from the cursor the first pass with a rule stored.
import type { NotificationMessage, NotificationRuleView } from '@wheelhouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { HubMetrics } from '../src/metrics.js';
import { NotificationDispatcher } from '../src/notifications/notification-dispatch.js';
import { NotificationRuleStore } from '../src/notifications/notification-rule-store.js';
import { createHub, type Hub } from '../src/server.js';
import type { HubDb, OpenStoreOptions } from '../src/store/db.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { planOf, recording } from './support/query-plans.js';
import { newPostgresStore, storeFactories } from './support/store-factories.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

useFastPasswordHashing();

/** A hub on a new store with one rule (insights opened, warning and up) posting to a real receiver. */
function useDispatchHub(options: () => Promise<OpenStoreOptions>) {
  const t = {} as { hub: Hub; rx: WebhookReceiver; admin: TestUser };
  let n = 0;

  beforeAll(async () => {
    t.hub = await createHub({
      ...(await options()),
      logger: false,
      webRoot: false,
      notifications: { intervalMs: 3_600_000, backoffMs: 10, retries: 1 },
    });
    await t.hub.clusters.create('prod', 'test');
    t.admin = await addUser(t.hub, { bindings: [{ role: 'account-admin' }] });
    t.rx = await startWebhookReceiver();
    const res = await t.hub.app.inject({
      method: 'POST',
      url: '/api/v1/notification-rules',
      headers: bearer(t.admin.token),
      payload: { name: 'on-call', url: `${t.rx.url}/on-call` },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<NotificationRuleView>().name).toBe('on-call');
  });
  afterAll(async () => {
    await t.hub.close();
    await t.rx.close();
  });

  return {
    get hub(): Hub {
      return t.hub;
    },
    async pass(): Promise<void> {
      await t.hub.notifications.tick();
      await t.hub.webhooks.idle();
    },
    /** The objects of the messages received, in order. */
    opened: (): string[] =>
      t.rx.posts.map((p) => (p.body as NotificationMessage).object.name).filter((name) => name.startsWith('pod-')),
    /** An insight-opened event as the insight store writes it (error: above the rule's minimum). */
    async insert(db: HubDb, name: string): Promise<void> {
      n++;
      await db
        .insertInto('timeline_events')
        .values({
          id: `insight-opened:${name}:${n}`,
          cluster_id: 'prod',
          time: Date.now(),
          type: 'insight-opened',
          severity: 'error',
          kind: 'Pod',
          namespace: 'shop',
          name,
          owner_kind: null,
          owner_name: null,
          summary: `${name} cannot pull its image`,
          data: JSON.stringify({ insightId: name, check: 'image-pull-failed', title: 'Image cannot be pulled' }),
        })
        .execute();
    },
  };
}

/** A dispatcher like the hub's, over a store that records the statements it is sent. */
function recordingDispatcher(hub: Hub): { rec: ReturnType<typeof recording>; dispatcher: NotificationDispatcher } {
  const rec = recording(hub.db);
  const dispatcher = new NotificationDispatcher({
    db: rec.db,
    rules: new NotificationRuleStore(hub.db, new AuditLog(hub.db)),
    sender: hub.webhooks,
    metrics: new HubMetrics(),
    log: hub.app.log,
  });
  return { rec, dispatcher };
}

describe.each(storeFactories)('the notification dispatcher ($name store)', (factory) => {
  const d = useDispatchHub(() => factory.options());

  it('a new leader continues from the cursor the first pass with a rule stored, though it sent nothing', async () => {
    await d.pass(); // no cursor stored yet: the timeline's end, stored now
    await d.insert(d.hub.db, 'pod-handover');
    d.hub.notifications.forgetCursor(); // leadership moved: the next pass starts from the store
    await d.pass();
    expect(d.opened()).toEqual(['pod-handover']);
  });
});

describe('the notification dispatcher on PostgreSQL', () => {
  const d = useDispatchHub(newPostgresStore);

  it('sends an event whose transaction commits after a higher seq was read, once', async () => {
    await d.pass(); // the cursor: the timeline's end
    let inserted!: () => void;
    let commit!: () => void;
    const insertedLow = new Promise<void>((r) => (inserted = r));
    const committing = new Promise<void>((r) => (commit = r));
    // pod-late takes its seq first and commits last.
    const late = d.hub.db.transaction().execute(async (trx) => {
      await d.insert(trx, 'pod-late');
      inserted();
      await committing;
    });
    await insertedLow;
    await d.insert(d.hub.db, 'pod-early');
    await d.pass();
    expect(d.opened()).toEqual(['pod-early']);
    commit();
    await late;
    await d.pass();
    await d.pass();
    expect(d.opened()).toEqual(['pod-early', 'pod-late']);
  });

  it('claims an event once per leader: the re-read of the last 30 s skips what this leader handled', async () => {
    const { rec, dispatcher } = recordingDispatcher(d.hub);
    const inserts = (): number => rec.statements.filter((s) => /insert into "notification_sent"/.test(s.sql)).length;
    // Its cursor: the timeline's end; its re-read claims the earlier tests' events (refused: sent before).
    await dispatcher.tick();
    const earlier = inserts();
    const claims = (): number => inserts() - earlier;
    const before = d.opened().length;
    for (const name of ['pod-storm-1', 'pod-storm-2', 'pod-storm-3']) await d.insert(d.hub.db, name);
    await dispatcher.tick();
    await d.hub.webhooks.idle();
    // Sent at once, so they may arrive in any order.
    expect(d.opened().slice(before).sort()).toEqual(['pod-storm-1', 'pod-storm-2', 'pod-storm-3']);
    expect(claims()).toBe(3);
    // The next passes re-read the three (committed within the last 30 s) and claim none of them again.
    await dispatcher.tick();
    await dispatcher.tick();
    expect(claims()).toBe(3);
    // A new leader knows nothing of them: its re-read claims them (and the earlier ones), the store refusing each.
    dispatcher.forgetCursor();
    await dispatcher.tick();
    await d.hub.webhooks.idle();
    expect(claims()).toBe(3 + 3 + earlier);
    expect(d.opened().slice(before).sort()).toEqual(['pod-storm-1', 'pod-storm-2', 'pod-storm-3']);
  });

  it('reads new events by a seq range on the primary key and late ones by the index on time', async () => {
    for (let i = 0; i < 200; i++) await d.insert(d.hub.db, `other-${i}`);
    await d.hub.db.updateTable('timeline_events').set({ type: 'pod-phase' }).where('name', 'like', 'other-%').execute();
    await d.hub.db.updateTable('notification_cursor').set({ seq: 0 }).execute();
    d.hub.notifications.forgetCursor();
    const { rec, dispatcher } = recordingDispatcher(d.hub);
    await dispatcher.tick();
    const reads = rec.statements.filter((s) => /from "timeline_events"/.test(s.sql));
    const plans = await Promise.all(reads.map((s) => planOf(d.hub.db, s)));
    // max(seq), the new events, the late ones.
    expect(plans).toHaveLength(3);
    expect(plans[0]).toMatch(/Index Only Scan Backward using timeline_events_pkey/);
    expect(plans[1]).toMatch(
      /Limit .*Index Scan using timeline_events_pkey .*Index Cond: \(\(seq > '0'::bigint\) AND \(seq <= '\d+'::bigint\)\)/,
    );
    expect(plans[2]).toMatch(/Index Scan on timeline_by_event_time .*Index Cond: \("time" > '\d+'::bigint\)/);
    for (const p of plans) expect(p).not.toMatch(/Seq Scan|BitmapOr/);
  });
});
