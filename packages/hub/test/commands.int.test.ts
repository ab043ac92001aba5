// Commands through the pipeline: persisted, dispatched to the agent, executed
// against the real cluster, tracked to a terminal state that matches reality.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRequest } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { validateActionRequest } from '../src/commands/command-service.js';
import { startHub, startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { addUser, bearer } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

async function request(
  p: Pipeline,
  req: Omit<ActionRequest, 'dryRun' | 'params'> & Partial<ActionRequest>,
): Promise<string> {
  const cluster = await p.hub.clusters.get(p.cluster);
  if (!cluster) throw new Error('no cluster');
  const full: ActionRequest = { params: {}, dryRun: false, ...req };
  const { params } = validateActionRequest(cluster, full);
  const cmd = await p.hub.commands.create('tester', cluster, full, params);
  await p.hub.link.dispatchOutstanding(p.cluster);
  return cmd.id;
}

async function terminal(p: Pipeline, id: string) {
  return eventually(`command ${id} to finish`, async () => {
    const c = await p.hub.commands.get(id);
    return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
  });
}

describe.each(storeFactories)('commands ($name store)', (store) => {
  let p: Pipeline;
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('cmd');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'target' }, data: {} } });
    p = await startPipeline({ hub: await store.options() });
    await eventually('agent connected', async () => (await p.hub.clusters.get(p.cluster))?.connected);
  });
  afterAll(() => p.stop());

  it('runs an action and succeeds only once the effect is visible in Kubernetes', async () => {
    const id = await request(p, {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
      params: { key: 'example.com/owner', value: 'team-a' },
      reason: 'testing',
    });
    const done = await terminal(p, id);
    expect(done.state).toBe('succeeded');
    expect(done.transitions.map((t) => t.state)).toEqual(['pending', 'dispatched', 'running', 'succeeded']);
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'target' });
    expect(cm.metadata?.annotations?.['example.com/owner']).toBe('team-a');
    expect(cm.metadata?.annotations?.['wheelhouse.dev/commands']).toContain(id);
    // Each state change is on the target's timeline, and the request and outcome are audited.
    const tl = await p.hub.timeline.query(p.cluster, {
      namespace: ns,
      kind: 'ConfigMap',
      name: 'target',
      types: ['action'],
      limit: 10,
    });
    expect(tl.items.map((e) => ('state' in e.data ? e.data.state : undefined))).toEqual([
      'succeeded',
      'running',
      'dispatched',
      'pending',
    ]);
  });

  it('previews a dry run without changing anything, and keeps it out of history (timeline, Actions list)', async () => {
    const operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const res = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${p.cluster}/actions`,
      headers: bearer(operator.token),
      payload: {
        action: 'annotate',
        target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
        params: { key: 'example.com/dry', value: 'x' },
        dryRun: true,
      },
    });
    expect(res.statusCode).toBe(200);
    const { id, status } = res.json<{ id: string; status: string }>();
    expect(status).toBe('succeeded');
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'target' });
    expect(cm.metadata?.annotations?.['example.com/dry']).toBeUndefined();
    // Not on the target's timeline: its newest rows stay what really happened.
    const tl = await p.hub.timeline.query(p.cluster, { namespace: ns, kind: 'ConfigMap', name: 'target', limit: 50 });
    expect(tl.items.filter((e) => 'commandId' in e.data && e.data.commandId === id)).toEqual([]);
    // The Actions list leaves it out unless asked; the audit keeps it as a preview, filterable.
    const list = async (q: string) => {
      const r = await p.hub.app.inject({
        url: `/api/v1/actions?cluster=${p.cluster}${q}`,
        headers: bearer(operator.token),
      });
      expect(r.statusCode).toBe(200);
      return r.json<{ items: { id: string; dryRun: boolean }[] }>().items.map((c) => c.id);
    };
    expect(await list('')).not.toContain(id);
    expect(await list('&previews=include')).toContain(id);
    expect(await list('&previews=only')).toEqual(expect.arrayContaining([id]));
    expect(
      (await p.hub.app.inject({ url: '/api/v1/actions?previews=all', headers: bearer(operator.token) })).statusCode,
    ).toBe(400);
    const audit = await p.hub.audit.query({ action: 'preview:*', limit: 50 });
    const mine = audit.items.filter((a) => (a.detail as { commandId?: string } | null)?.commandId === id);
    expect(mine.map((a) => [a.action, a.outcome])).toEqual([
      ['preview:annotate', 'succeeded'],
      ['preview:annotate', 'requested'],
    ]);
    const actions = await p.hub.audit.query({ action: 'action:*', limit: 100 });
    expect(actions.items.filter((a) => (a.detail as { commandId?: string } | null)?.commandId === id)).toEqual([]);
  });

  it('fails clearly, without retrying forever, when the target is gone', async () => {
    const id = await request(p, {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: ns, name: 'no-such-thing' },
      params: { key: 'example.com/a', value: 'b' },
    });
    const done = await terminal(p, id);
    expect(done.state).toBe('failed');
    expect(done.message).toContain('not found');
  });

  it('refuses an action whose tier is off, at the hub and at the agent', async () => {
    const limited = await startPipeline({
      capabilities: { basic: true, advanced: false, podExec: false },
      hub: await store.options(),
    });
    try {
      const cluster = await eventually('limited agent connected', async () => {
        const c = await limited.hub.clusters.get(limited.cluster);
        return c?.connected ? c : undefined;
      });
      expect(() =>
        validateActionRequest(cluster, {
          action: 'annotate',
          target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
          params: { key: 'example.com/a', value: 'b' },
          dryRun: false,
        }),
      ).toThrow(/needs the advanced tier, which is not enabled on cluster/);
      // An agent must refuse on its own too (a hub that believes otherwise, e.g. an old record).
      const forced = await limited.hub.commands.create(
        'tester',
        { ...cluster, capabilities: { basic: true, advanced: true, podExec: true } },
        {
          action: 'annotate',
          target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
          params: { key: 'example.com/a', value: 'b' },
          dryRun: false,
        },
        { key: 'example.com/a', value: 'b' },
      );
      await limited.hub.link.dispatchOutstanding(limited.cluster);
      const done = await terminal(limited, forced.id);
      expect(done.state).toBe('rejected');
      expect(done.message).toContain('advanced tier is not enabled');
    } finally {
      await limited.stop();
    }
  });

  it('expires a command whose agent stays offline past the TTL', async () => {
    // On PostgreSQL the sweep runs under leadership (this hub is the only candidate).
    const { hub } = await startHub({ commandTtlMs: 300, sweepMs: 100, ...(await store.options()) });
    try {
      const created = await hub.clusters.create('offline', 'test');
      if (!created) throw new Error('cluster "offline" exists');
      const cluster = { ...created.cluster, capabilities: { basic: true, advanced: true, podExec: true } };
      const cmd = await hub.commands.create(
        'tester',
        cluster,
        {
          action: 'annotate',
          target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
          params: { key: 'example.com/a', value: 'b' },
          dryRun: false,
        },
        { key: 'example.com/a', value: 'b' },
      );
      const done = await eventually('expiry', async () => {
        const c = await hub.commands.get(cmd.id);
        return c?.state === 'expired' ? c : undefined;
      });
      expect(done.message).toContain('did not complete the command before it expired');
    } finally {
      await hub.close();
    }
  });
});
