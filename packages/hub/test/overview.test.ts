// GET /api/v1/overview: what is broken now, across the clusters and
// namespaces the caller may see, with the reason the workload's conditions
// give and the recent failed actions (real SQLite store, the real API).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InsightInput, InventoryItem } from '@wheelhouse/protocol';
import { storeFactories } from './support/store-factories.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';

useFastPasswordHashing();

function deployment(namespace: string, name: string, ready: number, replicas: number, stuck = false): InventoryItem {
  return {
    kind: 'Deployment',
    namespace,
    name,
    uid: `uid-${namespace}-${name}`,
    resourceVersion: '1',
    createdAt: 1,
    labels: {},
    ownerRefs: [],
    summary: {
      replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      updatedReplicas: replicas,
      paused: false,
      images: [],
      conditions: stuck ? { Progressing: 'False' } : {},
      conditionDetails: stuck
        ? [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "api-1" has timed out progressing.',
              lastTransitionTime: 1,
            },
          ]
        : [],
      spec: {},
    },
  };
}

function insight(
  id: string,
  kind: string,
  namespace: string,
  name: string,
  severity: InsightInput['severity'],
  since: number,
): InsightInput {
  return {
    id,
    check: 'crash-loop',
    object: { kind, namespace, name },
    severity,
    title: `${name} is not well`,
    since,
    evidence: [],
    fix: 'look at it',
  };
}

interface OverviewBody {
  clusters: { name: string; connected: boolean }[];
  unhealthy: {
    cluster: string;
    namespace: string;
    name: string;
    health: { level: string; text: string };
    reason: string | null;
  }[];
  openInsights: { cluster: string; id: string; severity: string; object: { namespace: string }; state: string }[];
  insightsTruncated: boolean;
  failedActions: { id: string; state: string }[];
  truncated: boolean;
}

describe.each(storeFactories)('overview: what is broken now ($name store)', (store) => {
  let hub: Hub;
  let admin: TestUser;
  let teamA: TestUser;
  let failedId: string;

  beforeAll(async () => {
    hub = await createHub({ logger: false, ...(await store.options()) });
    for (const name of ['prod', 'staging']) await hub.clusters.create(name, 'test');
    await hub.inventory.applyChanges(
      'prod',
      [
        deployment('team-a', 'api', 0, 2, true),
        deployment('team-a', 'web', 2, 2),
        deployment('team-b', 'billing', 1, 3),
      ],
      [],
    );
    await hub.inventory.applyChanges('staging', [deployment('team-a', 'api', 1, 2)], []);
    await hub.insights.apply(
      'prod',
      [
        insight('prod-a-warn', 'Pod', 'team-a', 'api-1', 'warning', 300),
        insight('prod-b-err', 'Pod', 'team-b', 'billing-1', 'error', 100),
        insight('prod-node', 'Node', '', 'node-1', 'error', 50),
        insight('prod-a-gone', 'Pod', 'team-a', 'api-0', 'error', 10),
      ],
      [],
      true,
    );
    await hub.insights.apply('prod', [], ['prod-a-gone'], false); // resolved: not on the overview
    await hub.insights.apply('staging', [insight('staging-a-err', 'Pod', 'team-a', 'api-2', 'error', 200)], [], true);
    const prod = await hub.clusters.get('prod');
    if (!prod) throw new Error('no cluster');
    const req = {
      action: 'annotate',
      target: { kind: 'Deployment', namespace: 'team-b', name: 'billing' },
      params: { key: 'example.com/a', value: 'b' },
      dryRun: false,
    };
    failedId = (await hub.commands.create('someone', prod, req, req.params)).id;
    await hub.commands.transition(failedId, 'failed', 'conflict');
    admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
    teamA = await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'prod', namespace: 'team-a' }] });
  });
  afterAll(() => hub.close());

  const get = async (u: TestUser): Promise<OverviewBody> => {
    const res = await hub.app.inject({ url: '/api/v1/overview', headers: bearer(u.token) });
    expect(res.statusCode).toBe(200);
    return res.json<OverviewBody>();
  };

  it('lists unhealthy workloads of every cluster, down before degraded, with the reason, and failed actions', async () => {
    const o = await get(admin);
    expect(o.clusters.map((c) => c.name)).toEqual(['prod', 'staging']);
    expect(o.unhealthy.map((u) => [u.cluster, u.namespace, u.name, u.health.text, u.reason])).toEqual([
      ['prod', 'team-a', 'api', 'down', 'ProgressDeadlineExceeded: ReplicaSet "api-1" has timed out progressing.'],
      ['prod', 'team-b', 'billing', 'degraded', null],
      ['staging', 'team-a', 'api', 'degraded', null],
    ]);
    expect(o.failedActions.map((a) => [a.id, a.state])).toEqual([[failedId, 'failed']]);
    expect(o.truncated).toBe(false);
  });

  it('lists the open insights of every cluster, errors first and newest first, resolved ones left out', async () => {
    const o = await get(admin);
    expect(o.openInsights.map((i) => [i.cluster, i.id, i.severity, i.state])).toEqual([
      ['staging', 'staging-a-err', 'error', 'open'],
      ['prod', 'prod-b-err', 'error', 'open'],
      ['prod', 'prod-node', 'error', 'open'],
      ['prod', 'prod-a-warn', 'warning', 'open'],
    ]);
    expect(o.insightsTruncated).toBe(false);
  });

  it("shows a namespace-scoped viewer only their namespace's workloads and actions", async () => {
    const o = await get(teamA);
    expect(o.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(o.unhealthy.map((u) => `${u.cluster}/${u.namespace}/${u.name}`)).toEqual(['prod/team-a/api']);
    expect(o.failedActions).toEqual([]);
    // Not team-b's, not the node's (cluster-scoped: cluster-wide view only), not staging's.
    expect(o.openInsights.map((i) => `${i.cluster}/${i.id}`)).toEqual(['prod/prod-a-warn']);
  });
});
