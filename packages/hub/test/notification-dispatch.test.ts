// The notification dispatcher's read on PostgreSQL, the real server the run
// starts: each pass seeks (new events by a seq range on the primary key, the
// re-read of late commits by the index on time), and an event whose
// transaction commits after a higher seq was read still goes out, once.
import type { NotificationMessage, NotificationRuleView } from '@wheelhouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { HubMetrics } from '../src/metrics.js';
import { NotificationDispatcher } from '../src/notifications/notification-dispatch.js';
import { NotificationRuleStore } from '../src/notifications/notification-rule-store.js';
import { createHub, type Hub } from '../src/server.js';
import type { HubDb } from '../src/store/db.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { planOf, recording } from './support/query-plans.js';
import { newPostgresStore } from './support/store-factories.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

useFastPasswordHashing();

describe('the notification dispatcher on PostgreSQL', () => {
  let hub: Hub;
  let rx: WebhookReceiver;
  let admin: TestUser;
  let n = 0;

  beforeAll(async () => {
    hub = await createHub({
      ...(await newPostgresStore()),
      logger: false,
      webRoot: false,
      notifications: { intervalMs: 3_600_000, backoffMs: 10, retries: 1 },
    });
    await hub.clusters.create('prod', 'test');
    admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
    rx = await startWebhookReceiver();
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/notification-rules',
      headers: bearer(admin.token),
      payload: { name: 'on-call', url: `${rx.url}/on-call` },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as NotificationRuleView).name).toBe('on-call');
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
  });

  async function pass(): Promise<void> {
    await hub.notifications.tick();
    await hub.webhooks.idle();
  }
  const opened = (): string[] =>
    rx.posts.map((p) => (p.body as NotificationMessage).object.name).filter((name) => name.startsWith('pod-'));

  /** An insight-opened event as the insight store writes it (error: above the rule's minimum). */
  async function insert(db: HubDb, name: string): Promise<void> {
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
  }

  it('sends an event whose transaction commits after a higher seq was read, once', async () => {
    await pass(); // the cursor: the timeline's end
    let inserted!: () => void;
    let commit!: () => void;
    const insertedLow = new Promise<void>((r) => (inserted = r));
    const committing = new Promise<void>((r) => (commit = r));
    // pod-late takes its seq first and commits last.
    const late = hub.db.transaction().execute(async (trx) => {
      await insert(trx, 'pod-late');
      inserted();
      await committing;
    });
    await insertedLow;
    await insert(hub.db, 'pod-early');
    await pass();
    expect(opened()).toEqual(['pod-early']);
    commit();
    await late;
    await pass();
    await pass();
    expect(opened()).toEqual(['pod-early', 'pod-late']);
  });

  it('reads new events by a seq range on the primary key and late ones by the index on time', async () => {
    for (let i = 0; i < 200; i++) await insert(hub.db, `other-${i}`);
    await hub.db.updateTable('timeline_events').set({ type: 'pod-phase' }).where('name', 'like', 'other-%').execute();
    await hub.db.updateTable('notification_cursor').set({ seq: 0 }).execute();
    hub.notifications.forgetCursor();
    const rec = recording(hub.db);
    // A dispatcher like the hub's, over the recording store.
    const d = new NotificationDispatcher({
      db: rec.db,
      rules: new NotificationRuleStore(hub.db, new AuditLog(hub.db)),
      sender: hub.webhooks,
      metrics: new HubMetrics(),
      log: hub.app.log,
    });
    await d.tick();
    const reads = rec.statements.filter((s) => /from "timeline_events"/.test(s.sql));
    const plans = await Promise.all(reads.map((s) => planOf(hub.db, s)));
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
