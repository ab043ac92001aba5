// Notifications end to end on the real local cluster: a real image-pull
// failure (kwok's simulated kubelet), the agent's check, the hub's insight
// store, the leader's dispatcher and the shared sender, received by a real
// HTTP server in this test — the other end a webhook user runs. Fixing the
// deployment sends "resolved"; an action that fails in Kubernetes sends
// "action failed"; a rule for another namespace receives nothing; a receiver
// that is down is retried and its failure recorded on the rule.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRequest, NotificationMessage, NotificationRuleView } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { validateActionRequest } from '../src/commands/command-service.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

useFastPasswordHashing();
const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const TIMEOUT = { timeoutMs: 90_000, intervalMs: 300 };

describe('notifications from the real cluster to a real webhook receiver', () => {
  let p: Pipeline;
  let rx: WebhookReceiver;
  let admin: TestUser;
  let ns: string;
  let otherNs: string;

  beforeAll(async () => {
    ns = await testNamespace('notify');
    otherNs = await testNamespace('notify-other');
    rx = await startWebhookReceiver();
    p = await startPipeline({ hub: { notifications: { intervalMs: 300, backoffMs: 50, retries: 2 } } });
    await eventually('agent connected', async () => (await p.hub.clusters.get(p.cluster))?.connected);
    admin = await addUser(p.hub, { bindings: [{ role: 'account-admin' }] });
  });
  afterAll(async () => {
    await p.stop();
    await rx.close();
  });

  async function addRule(body: object): Promise<NotificationRuleView> {
    const res = await p.hub.app.inject({
      method: 'POST',
      url: '/api/v1/notification-rules',
      headers: bearer(admin.token),
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  const received = (path: string): NotificationMessage[] =>
    rx.posts.filter((r) => r.path === path).map((r) => r.body as NotificationMessage);
  const message = (path: string, what: string, find: (m: NotificationMessage) => boolean) =>
    eventually(what, async () => Promise.resolve(received(path).find(find)), TIMEOUT);

  it('an image that cannot be pulled: "opened" naming the pod; the fix: "resolved"; another namespace\'s rule gets nothing', async () => {
    await addRule({ name: 'team', cluster: p.cluster, namespace: ns, url: `${rx.url}/team` });
    await addRule({ name: 'others', namespace: otherNs, url: `${rx.url}/others`, format: 'slack' });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'shop' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'shop' } },
          template: {
            metadata: { labels: { app: 'shop', 'wheelhouse.dev/simulate': 'image-pull-failure' } },
            spec: { containers: [{ name: 'app', image: 'registry.local/shop:1.5' }] },
          },
        },
      },
    });
    const opened = await message(
      '/team',
      'an insight-opened message for the image pull',
      (m) => m.event === 'insight-opened' && m.insight?.check === 'image-pull-failed',
    );
    expect(opened).toMatchObject({ version: 1, cluster: p.cluster, severity: 'error', rule: { name: 'team' } });
    expect(opened.object.kind).toBe('Pod');
    expect(opened.object.namespace).toBe(ns);
    expect(opened.object.name).toMatch(/^shop-/);
    expect(opened.summary).toMatch(/registry\.local\/shop:1\.5 of container app cannot be pulled/);

    await apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: 'shop',
        body: {
          spec: {
            template: {
              metadata: { labels: { 'wheelhouse.dev/simulate': null } },
              spec: { containers: [{ name: 'app', image: 'registry.local/shop:1.4' }] },
            },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const resolved = await message(
      '/team',
      'an insight-resolved message for the image pull',
      (m) => m.event === 'insight-resolved' && m.insight?.id === opened.insight?.id,
    );
    expect(resolved.object).toEqual(opened.object);
    expect(resolved.severity).toBe('error'); // as it was while open
    // Exactly one of each for that insight, however many snapshots the agent sent meanwhile.
    const aboutIt = received('/team').filter((m) => m.insight?.id === opened.insight?.id);
    expect(aboutIt.map((m) => m.event)).toEqual(['insight-opened', 'insight-resolved']);
    expect(received('/others')).toEqual([]);
  });

  it('an action that fails in Kubernetes: "action failed" with its message', async () => {
    const cluster = await p.hub.clusters.get(p.cluster);
    if (!cluster) throw new Error('no cluster');
    const req: ActionRequest = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: ns, name: 'no-such-thing' },
      params: { key: 'example.com/a', value: 'b' },
      dryRun: false,
    };
    const cmd = await p.hub.commands.create('tester', cluster, req, validateActionRequest(cluster, req).params);
    await p.hub.link.dispatchOutstanding(p.cluster);
    const failed = await message('/team', 'an action-failed message', (m) => m.action?.commandId === cmd.id);
    expect(failed).toMatchObject({
      event: 'action-failed',
      severity: 'warning',
      object: { kind: 'ConfigMap', namespace: ns, name: 'no-such-thing' },
      action: { action: 'annotate', state: 'failed', requestedBy: 'tester' },
    });
    expect(failed.action?.message).toContain('not found');
    expect(received('/others')).toEqual([]);
  });

  it('a receiver that is down: retried, then the failure is recorded on the rule', async () => {
    const down = await startWebhookReceiver();
    const deadUrl = down.url;
    await down.close();
    const rule = await addRule({ name: 'down', cluster: p.cluster, namespace: ns, url: `${deadUrl}/hook` });
    const req: ActionRequest = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: ns, name: 'also-missing' },
      params: { key: 'example.com/a', value: 'b' },
      dryRun: false,
    };
    const cluster = await p.hub.clusters.get(p.cluster);
    if (!cluster) throw new Error('no cluster');
    await p.hub.commands.create('tester', cluster, req, validateActionRequest(cluster, req).params);
    await p.hub.link.dispatchOutstanding(p.cluster);
    const last = await eventually(
      'the failed delivery on the rule',
      async () => {
        const res = await p.hub.app.inject({
          method: 'GET',
          url: '/api/v1/notification-rules',
          headers: bearer(admin.token),
        });
        return res
          .json<{ items: NotificationRuleView[] }>()
          .items.find((r) => r.id === rule.id && r.lastDelivery !== null);
      },
      TIMEOUT,
    );
    expect(last.lastDelivery).toMatchObject({ ok: false, error: 'ECONNREFUSED', attempts: 3 });
    expect(last.counts).toMatchObject({ delivered: 0, failed: 1 });
  });
});
