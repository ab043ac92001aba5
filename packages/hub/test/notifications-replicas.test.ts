// Notifications with two hubs on one PostgreSQL store: both write insights,
// only the leader sends, so each opening arrives once; when the leader stops,
// the other takes over from the stored cursor and claims, sending what is new
// once and nothing again.
import { afterAll, expect, it } from 'vitest';
import type { InsightInput, NotificationMessage } from '@wheelhouse/protocol';
import { createHub, type Hub } from '../src/server.js';
import { newPostgresStore } from './support/store-factories.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const hubs: Hub[] = [];
let rx: WebhookReceiver | undefined;
afterAll(async () => {
  for (const h of hubs) await h.close().catch(() => undefined);
  await rx?.close();
});

const insight = (id: string): InsightInput => ({
  id,
  check: 'image-pull-failed',
  object: { kind: 'Pod', namespace: 'shop', name: id },
  severity: 'error',
  title: `Image of ${id} cannot be pulled`,
  since: Date.now(),
  evidence: [],
  fix: 'Roll back',
});

async function until<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it(
  'two replicas: each opening is sent once, by the leader; after it stops the other continues',
  { timeout: 60_000 },
  async () => {
    rx = await startWebhookReceiver();
    const store = await newPostgresStore();
    const start = async () => {
      const h = await createHub({
        logger: false,
        webRoot: false,
        ...store,
        leaderCheckMs: 100,
        notifications: { intervalMs: 100 },
      });
      hubs.push(h);
      return h;
    };
    const a = await start();
    const b = await start();
    await until('one leader', () => (a.leader.isLeader() !== b.leader.isLeader() ? true : undefined));
    const [leader, follower] = a.leader.isLeader() ? [a, b] : [b, a];
    await leader.clusters.create('prod', 'test');
    const rule = await follower.notificationRules.create('test', {
      name: 'all',
      cluster: '*',
      namespace: '*',
      minSeverity: 'warning',
      events: ['insight-opened'],
      format: 'json',
      url: `${rx.url}/all`,
    });
    expect(rule.ok).toBe(true);
    const posts = (): string[] => (rx?.posts ?? []).map((p) => (p.body as NotificationMessage).object.name);

    // Written through both replicas (whichever holds the agent link writes).
    await follower.insights.apply('prod', [insight('one')], [], false);
    await leader.insights.apply('prod', [insight('two')], [], false);
    await until('both openings', () => (posts().length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1_000)); // ten more passes on each replica
    expect(posts().sort()).toEqual(['one', 'two']);

    await leader.close();
    hubs.splice(hubs.indexOf(leader), 1);
    await until('the follower leads', () => (follower.leader.isLeader() ? true : undefined));
    await follower.insights.apply('prod', [insight('three')], [], false);
    await until('the third opening', () => (posts().includes('three') ? true : undefined));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(posts().sort()).toEqual(['one', 'three', 'two']);
  },
);
