// One cluster's agent speaks only for its own cluster: a (compromised) agent of
// cluster B cannot move cluster A's commands, and no agent can write timeline
// events that only the hub writes (they name users). Effects are read from the
// hub's database; A's real agent runs against the real local cluster.
import * as k8s from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CONNECT_PATH, type ActionRequest, type AgentMessage } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { validateActionRequest } from '../src/commands/command-service.js';
import { changesDuring, describeChange, type RowChange } from './support/db-snapshot.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

/** Tables a command's progress writes: none may change when another cluster's agent reports on it. */
const COMMAND_TABLES = new Set(['commands', 'command_transitions', 'audit_log']);
const HUB_OWNED_TYPES = new Set(['action', 'shell']);

async function refused(p: Pipeline, reason: string): Promise<number> {
  const m = await p.hub.metrics.agentRefused.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** A rogue agent: connects with cluster B's own (valid) token and says hello. */
async function rogueAgent(p: Pipeline, token: string): Promise<{ send(msg: AgentMessage): void; close(): void }> {
  const ws = new WebSocket(new URL(AGENT_CONNECT_PATH, p.url.replace('http', 'ws')), {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const send = (msg: AgentMessage) => ws.send(JSON.stringify(msg));
  send({
    type: 'hello',
    protocol: 1,
    agentVersion: 'rogue',
    kubernetesVersion: 'v1.35.4',
    capabilities: { basic: true, advanced: true, podExec: true },
    missingPermissions: {},
  });
  return { send, close: () => ws.close() };
}

describe('agent messages are scoped to the connection’s cluster', () => {
  let p: Pipeline;
  let ns: string;
  let rogue: Awaited<ReturnType<typeof rogueAgent>>;
  const clusterB = `b${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    ns = await testNamespace('scope');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'target' }, data: {} } });
    p = await startPipeline();
    await eventually('agent A connected', async () => (await p.hub.clusters.get(p.cluster))?.connected);
    const b = await p.hub.clusters.create(clusterB, 'test');
    if (!b) throw new Error('cluster B exists');
    rogue = await rogueAgent(p, b.token);
    await eventually('rogue agent B connected', () => Promise.resolve(p.hub.link.isConnected(clusterB)));
  });
  afterAll(async () => {
    rogue.close();
    await p.stop();
  });

  it('ignores B’s command.update for A’s pending command; A’s agent still completes it', async () => {
    const cluster = await p.hub.clusters.get(p.cluster);
    if (!cluster) throw new Error('no cluster A');
    const req: ActionRequest = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
      params: { key: 'example.com/owner', value: 'team-a' },
      reason: 'scope test',
      dryRun: false,
    };
    // Created but not dispatched: it stays pending while B tries to finish it.
    const cmd = await p.hub.commands.create('tester', cluster, req, validateActionRequest(cluster, req).params);
    expect((await p.hub.commands.get(cmd.id))?.state).toBe('pending');
    const before = await refused(p, 'foreign_command');

    const { changes } = await changesDuring(p.hub.db, async () => {
      rogue.send({ type: 'command.update', id: cmd.id, state: 'running', message: 'forged' });
      rogue.send({
        type: 'command.update',
        id: cmd.id,
        state: 'succeeded',
        message: 'forged',
        result: { forged: true },
      });
      await eventually('both forged updates to be ignored', async () =>
        (await refused(p, 'foreign_command')) === before + 2 ? true : undefined,
      );
    });
    // A's agent keeps streaming its own inventory meanwhile; nothing of the command's may move.
    const touched = changes.filter(
      (c: RowChange) =>
        COMMAND_TABLES.has(c.table) ||
        (c.table === 'timeline_events' && HUB_OWNED_TYPES.has(String((c.after ?? c.before)?.type))),
    );
    expect(touched.map(describeChange)).toEqual([]);
    expect(p.hub.link.isConnected(clusterB)).toBe(true);

    await p.hub.link.dispatchOutstanding(p.cluster);
    const done = await eventually('A’s command to finish', async () => {
      const c = await p.hub.commands.get(cmd.id);
      return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
    expect(done.state).toBe('succeeded');
    expect(done.message).not.toBe('forged');
    expect(done.transitions.map((t) => t.state)).toEqual(['pending', 'dispatched', 'running', 'succeeded']);
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'target' });
    expect(cm.metadata?.annotations?.['example.com/owner']).toBe('team-a');
  });

  it('refuses hub-owned timeline events (shell, action) from an agent and stores the rest', async () => {
    const cluster = await p.hub.clusters.get(p.cluster);
    if (!cluster) throw new Error('no cluster A');
    const req: ActionRequest = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: ns, name: 'target' },
      params: { key: 'example.com/other', value: 'x' },
      dryRun: true,
    };
    const aCommand = await p.hub.commands.create('tester', cluster, req, validateActionRequest(cluster, req).params);
    const base = { time: Date.now(), severity: 'info' as const, kind: 'Pod', namespace: ns, name: 'victim' };
    const before = await refused(p, 'hub_owned_event');
    rogue.send({
      type: 'timeline',
      events: [
        {
          ...base,
          id: 'forged-shell',
          type: 'shell',
          summary: 'alice opened a shell',
          data: {
            phase: 'start',
            sessionId: 's1',
            user: 'alice',
            container: 'c',
            command: ['sh'],
            clientAddress: '10.0.0.1',
          },
        },
        {
          ...base,
          id: 'forged-action',
          type: 'action',
          summary: 'alice deleted the pod',
          data: {
            commandId: 'x',
            action: 'delete',
            state: 'succeeded',
            requestedBy: 'alice',
            reason: null,
            message: null,
          },
        },
        {
          ...base,
          id: 'forged-drain-step',
          type: 'action',
          summary: 'evicted',
          // A drain step is the agent's own kind of action event, but this names cluster A's command.
          data: { commandId: aCommand.id, action: 'drain', node: 'n', step: 'evicted' },
        },
        {
          ...base,
          id: 'genuine',
          type: 'k8s-event',
          summary: 'Scheduled',
          data: { reason: 'Scheduled', message: 'ok', count: 1, source: null, eventType: 'Normal' },
        },
      ],
    });
    await eventually('the genuine event to be stored', async () =>
      (await p.hub.db.selectFrom('timeline_events').select('id').where('id', '=', 'genuine').executeTakeFirst())
        ? true
        : undefined,
    );
    const stored = await p.hub.db
      .selectFrom('timeline_events')
      .select(['id', 'type'])
      .where('cluster_id', '=', clusterB)
      .execute();
    expect(stored).toEqual([{ id: 'genuine', type: 'k8s-event' }]);
    expect(await refused(p, 'hub_owned_event')).toBe(before + 3);
  });
});
