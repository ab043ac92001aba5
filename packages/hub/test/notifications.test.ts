// Notifications without a cluster: the formats, rule matching, the per-rule
// rate limit, the shared sender against a real local HTTP receiver (retries,
// a dead receiver, the bounded queue), and the dispatcher on a real hub store
// fed through the insight store the agent link uses (dedupe, flap window,
// scoping, the rate limit's summary) — plus the API: validation, masking, audit.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InsightInput, NotificationMessage, NotificationRuleView, TimelineEvent } from '@wheelhouse/protocol';
import { RuleRateLimit, ruleMatches } from '../src/notifications/notification-dispatch.js';
import { messageOf, slackBody } from '../src/notifications/notification-format.js';
import { NotificationSender } from '../src/notifications/notification-sender.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

useFastPasswordHashing();

const openedEvent: TimelineEvent = {
  seq: 1,
  id: 'insight-opened:x:1',
  cluster: 'prod',
  time: 1_700_000_000_000,
  type: 'insight-opened',
  severity: 'error',
  kind: 'Pod',
  namespace: 'shop',
  name: 'web-1',
  summary: 'Image registry.local/web:<bad> cannot be pulled',
  data: { insightId: 'i1', check: 'image-pull-failed', title: 'Image cannot be pulled', fix: 'Roll back' },
};

describe('notification formats', () => {
  it('the JSON document is versioned and names the object, the insight and the rule', () => {
    const m = messageOf(openedEvent, 'insight-opened', 'error', { id: 'r1', name: 'on-call' });
    expect(m).toEqual({
      version: 1,
      event: 'insight-opened',
      cluster: 'prod',
      severity: 'error',
      object: { kind: 'Pod', namespace: 'shop', name: 'web-1' },
      summary: 'Image registry.local/web:<bad> cannot be pulled',
      time: 1_700_000_000_000,
      rule: { id: 'r1', name: 'on-call' },
      insight: { id: 'i1', check: 'image-pull-failed', title: 'Image cannot be pulled', fix: 'Roll back' },
    });
  });

  it('the Slack body has a plain text line and blocks, with mrkdwn control characters escaped', () => {
    const b = slackBody(messageOf(openedEvent, 'insight-opened', 'error', { id: 'r1', name: 'on-call' }));
    expect(b.text).toBe('Insight opened: Pod shop/web-1 on prod — Image registry.local/web:<bad> cannot be pulled');
    expect(b.blocks[0]?.text?.text).toContain('*Insight opened: Pod shop/web-1 on prod*');
    expect(b.blocks[0]?.text?.text).toContain('registry.local/web:&lt;bad&gt;');
    expect(b.blocks[0]?.text?.text).toContain('_Fix:_ Roll back');
    expect(b.blocks[1]?.elements?.[0]?.text).toContain('rule on-call');
  });
});

describe('rule matching and the rate limit', () => {
  const rule = {
    events: ['insight-opened' as const, 'access-request' as const],
    cluster: 'prod-*',
    namespace: 'shop',
    minSeverity: 'warning' as const,
  };
  it('matches kind, cluster and namespace patterns and the minimum severity', () => {
    const e = { cluster: 'prod-east', namespace: 'shop' };
    expect(ruleMatches(rule, e, 'insight-opened', 'warning')).toBe(true);
    expect(ruleMatches(rule, e, 'insight-opened', 'error')).toBe(true);
    expect(ruleMatches(rule, e, 'insight-opened', 'info')).toBe(false);
    expect(ruleMatches(rule, e, 'insight-resolved', 'error')).toBe(false);
    expect(ruleMatches(rule, { cluster: 'staging', namespace: 'shop' }, 'insight-opened', 'error')).toBe(false);
    expect(ruleMatches(rule, { cluster: 'prod-east', namespace: 'other' }, 'insight-opened', 'error')).toBe(false);
    // Access steps are not health: no severity floor.
    expect(ruleMatches(rule, e, 'access-request', 'info')).toBe(true);
  });

  it('lets perWindow through per rule and window, counts the rest for one summary', () => {
    const rl = new RuleRateLimit(2, 60_000);
    const t = 1_000_000;
    expect([rl.take('a', t), rl.take('a', t + 1), rl.take('a', t + 2), rl.take('a', t + 3)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(rl.take('b', t + 3)).toBe(true); // per rule
    expect(rl.due(t + 59_999)).toEqual([]);
    expect(rl.due(t + 60_000)).toEqual([{ ruleId: 'a', suppressed: 2 }]);
    expect(rl.take('a', t + 60_001)).toBe(true); // a new window
  });
});

describe('the shared webhook sender, against a real HTTP receiver', () => {
  let rx: WebhookReceiver;
  beforeEach(async () => {
    rx = await startWebhookReceiver();
  });
  afterEach(async () => {
    await rx.close();
  });

  it('retries a 5xx with backoff and reports the attempts it took', async () => {
    rx.failNext(2, 503);
    const s = new NotificationSender({ retries: 3, backoffMs: 20 });
    const started = Date.now();
    const outcome = await new Promise((resolve) => s.enqueue({ url: `${rx.url}/hook`, body: { n: 1 }, done: resolve }));
    expect(outcome).toMatchObject({ ok: true, status: 200, attempts: 3 });
    expect(rx.posts.map((p) => p.path)).toEqual(['/hook', '/hook', '/hook']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40); // backed off 20 ms, then 40 ms
  });

  it('does not retry a 4xx (the receiver refuses the message itself)', async () => {
    rx.answer(404);
    const s = new NotificationSender({ retries: 3, backoffMs: 10 });
    const outcome = await new Promise((resolve) => s.enqueue({ url: rx.url, body: {}, done: resolve }));
    expect(outcome).toMatchObject({ ok: false, status: 404, error: 'HTTP 404', attempts: 1 });
    expect(rx.posts).toHaveLength(1);
  });

  it('a receiver that is down: every retry, then a failure naming why', async () => {
    const url = rx.url;
    await rx.close();
    const s = new NotificationSender({ retries: 2, backoffMs: 10 });
    const outcome = await new Promise((resolve) => s.enqueue({ url, body: {}, done: resolve }));
    expect(outcome).toMatchObject({ ok: false, error: 'ECONNREFUSED', attempts: 3 });
    rx = await startWebhookReceiver(); // for afterEach
  });

  it('the queue is bounded: beyond maxQueue deliveries are refused and counted, the others all arrive', async () => {
    const s = new NotificationSender({ maxQueue: 2, concurrency: 1 });
    const accepted = [1, 2, 3, 4, 5].map((n) => s.enqueue({ url: rx.url, body: { n } }));
    // One in flight at once, two waiting: the 4th and 5th are refused.
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(s.dropped).toBe(2);
    await s.idle();
    expect(rx.posts.map((p) => (p.body as { n: number }).n)).toEqual([1, 2, 3]);
  });
});

const insight = (id: string, namespace: string, severity: InsightInput['severity'] = 'error'): InsightInput => ({
  id,
  check: 'image-pull-failed',
  object: { kind: 'Pod', namespace, name: `${id}-pod` },
  severity,
  title: `Image of ${id} cannot be pulled`,
  since: Date.now(),
  evidence: [],
  fix: 'Roll back to the previous revision',
});

describe('dispatching from the timeline (real hub store, real receiver)', () => {
  let hub: Hub;
  let rx: WebhookReceiver;
  let admin: TestUser;
  let viewer: TestUser;

  beforeAll(async () => {
    hub = await createHub({
      logger: false,
      webRoot: false,
      notifications: { intervalMs: 3_600_000, ratePerWindow: 3, rateWindowMs: 60_000, backoffMs: 10, retries: 1 },
    });
    await hub.clusters.create('prod', 'test');
    admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
    viewer = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    rx = await startWebhookReceiver();
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
  });

  async function addRule(body: object): Promise<NotificationRuleView> {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/notification-rules',
      headers: bearer(admin.token),
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  async function pass(now?: number): Promise<void> {
    await hub.notifications.tick(now);
    await hub.webhooks.idle();
  }
  const received = (path: string): NotificationMessage[] =>
    rx.posts.filter((p) => p.path === path).map((p) => p.body as NotificationMessage);

  it('validates a rule at the boundary, names the field, and creates nothing', async () => {
    for (const [payload, path] of [
      [{ name: 'x', url: 'ftp://example.org/hook' }, 'body.url'],
      [{ name: 'x', url: 'https://user:pw@example.org/hook' }, 'body.url'],
      [{ name: 'x', url: `https://example.org/${'a'.repeat(2050)}` }, 'body.url'],
      [{ name: 'x', url: 'https://example.org/h', namespace: 'Bad Name' }, 'body.namespace'],
      [{ name: 'x', url: 'https://example.org/h', events: ['insight-opened', 'insight-opened'] }, 'body.events'],
      [{ name: 'x', url: 'https://example.org/h', format: 'teams' }, 'body.format'],
    ] as const) {
      const res = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/notification-rules',
        headers: bearer(admin.token),
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json<{ issues: { path: string }[] }>().issues.map((i) => i.path)).toContain(path);
    }
    expect(await hub.notificationRules.list()).toEqual([]);
  });

  it('needs notifications:manage on every cluster: a viewer is refused naming the permission', async () => {
    const res = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/notification-rules',
      headers: bearer(viewer.token),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden', permission: 'notifications:manage', scope: {} });
  });

  it('never answers the URL: masked in the list, absent from the audit record', async () => {
    const r = await addRule({ name: 'masking', url: `${rx.url}/secret-token-123`, namespace: 'nowhere' });
    expect(r.url).toBe(`${new URL(rx.url).protocol}//${new URL(rx.url).host}/…`);
    const list = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/notification-rules',
      headers: bearer(admin.token),
    });
    expect(list.body).not.toContain('secret-token-123');
    const audit = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/audit?action=notification.rule.create',
      headers: bearer(admin.token),
    });
    expect(audit.json<{ items: { detail: { ruleId: string } }[] }>().items.map((i) => i.detail.ruleId)).toContain(r.id);
    expect(audit.body).not.toContain('secret-token-123');
    const del = await hub.app.inject({
      method: 'DELETE',
      url: `/api/v1/notification-rules/${r.id}`,
      headers: bearer(admin.token),
    });
    expect(del.statusCode).toBe(204);
    const audited = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/audit?action=notification.rule.delete',
      headers: bearer(admin.token),
    });
    expect(audited.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('one message per opening and per resolution; a flapping insight is not re-sent within the window; other namespaces get nothing', async () => {
    await pass(); // the cursor starts at the timeline's end
    const shop = await addRule({ name: 'shop', namespace: 'shop', url: `${rx.url}/shop` });
    await addRule({ name: 'billing', namespace: 'billing', url: `${rx.url}/billing` });
    const info = insight('flap', 'shop', 'info');
    const bad = insight('flap', 'shop', 'error');

    await hub.insights.apply('prod', [bad], [], false);
    await hub.insights.apply('prod', [bad], [], true); // the agent's next snapshot: still open, nothing new
    await pass();
    await pass();
    expect(received('/shop').map((m) => [m.event, m.object.name])).toEqual([['insight-opened', 'flap-pod']]);

    await hub.insights.apply('prod', [], ['flap'], false);
    await pass();
    expect(received('/shop').map((m) => m.event)).toEqual(['insight-opened', 'insight-resolved']);
    expect(received('/shop')[1]?.severity).toBe('error'); // as it was while open

    // Flaps: open and resolve again at once — nothing more within the window.
    await hub.insights.apply('prod', [bad], [], false);
    await hub.insights.apply('prod', [], ['flap'], false);
    await pass();
    expect(received('/shop')).toHaveLength(2);
    // After the window (10 min), an opening is news again.
    await hub.insights.apply('prod', [bad], [], false);
    await pass(Date.now() + 11 * 60_000);
    expect(received('/shop').map((m) => m.event)).toEqual(['insight-opened', 'insight-resolved', 'insight-opened']);

    // Below the rule's severity (warning): nothing.
    await hub.insights.apply('prod', [insight('quiet', 'shop', info.severity)], [], false);
    await pass(Date.now() + 11 * 60_000);
    expect(received('/shop')).toHaveLength(3);
    expect(received('/billing')).toEqual([]);
    const view = (await hub.notificationRules.view(shop.id)) as NotificationRuleView;
    expect(view.counts).toMatchObject({ delivered: 3, failed: 0 });
    expect(view.lastDelivery).toMatchObject({ ok: true, status: 200, attempts: 1 });
  });

  it('rate-limits per rule: excess is counted and summed up in one "N more suppressed" after the window', async () => {
    const rule = await addRule({ name: 'burst', namespace: 'burst', url: `${rx.url}/burst` });
    const now = Date.now() + 20 * 60_000;
    await hub.insights.apply(
      'prod',
      [1, 2, 3, 4, 5].map((n) => insight(`b${n}`, 'burst')),
      [],
      false,
    );
    await pass(now);
    expect(received('/burst').map((m) => m.event)).toEqual(['insight-opened', 'insight-opened', 'insight-opened']);
    await pass(now + 60_000);
    const summary = received('/burst')[3];
    expect(summary).toMatchObject({ event: 'suppressed', suppressed: 2 });
    expect(summary?.summary).toBe('2 more notifications of rule "burst" suppressed (rate limit)');
    expect((await hub.notificationRules.view(rule.id))?.counts).toMatchObject({ delivered: 4, suppressed: 2 });
  });

  it('a receiver that answers errors: retried, then the failure is recorded on the rule', async () => {
    const rule = await addRule({ name: 'down', namespace: 'down', url: `${rx.url}/down`, format: 'slack' });
    rx.answer(500);
    try {
      await hub.insights.apply('prod', [insight('d1', 'down')], [], false);
      await pass(Date.now() + 30 * 60_000);
    } finally {
      rx.answer(200);
    }
    expect(received('/down')).toHaveLength(2); // the first attempt and one retry
    const v = await hub.notificationRules.view(rule.id);
    expect(v?.lastDelivery).toMatchObject({ ok: false, status: 500, error: 'HTTP 500', attempts: 2 });
    expect(v?.counts).toMatchObject({ delivered: 0, failed: 1 });
    // Slack format: text plus blocks.
    expect(rx.posts.find((p) => p.path === '/down')?.body).toMatchObject({
      text: expect.stringContaining('Insight opened: Pod down/d1-pod on prod') as unknown,
    });
  });

  it('"Send test" delivers one test message and answers how it went', async () => {
    const rule = await addRule({ name: 'tested', url: `${rx.url}/tested` });
    const res = await hub.app.inject({
      method: 'POST',
      url: `/api/v1/notification-rules/${rule.id}/test`,
      headers: bearer(admin.token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ delivery: { ok: true, status: 200, attempts: 1 } });
    expect(received('/tested')).toMatchObject([{ event: 'test', version: 1, rule: { name: 'tested' } }]);
    expect((await hub.notificationRules.view(rule.id))?.lastDelivery).toMatchObject({ ok: true });
  });
});
