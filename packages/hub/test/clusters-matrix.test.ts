// Every cluster, inventory, timeline and action route × every built-in role
// (and scoped users): no unauthorized success.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import {
  ADMIN_ONLY,
  DEFAULT_IDENTITIES,
  checkAuthzCase,
  setupIdentities,
  uncoveredRoutes,
  type AuthzCase,
  type Identity,
  type IdentitySpec,
} from './support/authz-matrix.js';
import { useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

const IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'admin@prod-*', bindings: [{ role: 'account-admin', cluster: 'prod-*' }] },
  { name: 'operator@staging', bindings: [{ role: 'operator', cluster: 'staging' }] },
  { name: 'viewer@*/team-a', bindings: [{ role: 'viewer', namespace: 'team-a' }] },
];
const ALL = IDENTITIES.map((i) => i.name);
/** Who may view cluster prod-east somewhere: every role (all grant view) bound on it. */
const SEES_PROD = ['account-admin', 'operator', 'viewer', 'auditor', 'admin@prod-*', 'viewer@*/team-a'];
const VIEWS_PROD_CLUSTER_WIDE = ['account-admin', 'operator', 'viewer', 'auditor', 'admin@prod-*'];
const ACTS_ON_PROD = ['account-admin', 'operator', 'admin@prod-*'];

let counter = 0;
const annotate = (ns = 'team-a') => ({
  action: 'annotate',
  target: { kind: 'ConfigMap', namespace: ns, name: 'settings' },
  params: { key: 'example.com/matrix', value: String(++counter) },
});

describe('authorization matrix: clusters, inventory, timeline, actions', () => {
  let hub: Hub;
  let identities: Map<string, Identity>;
  let commandId = '';

  beforeAll(async () => {
    hub = await createHub({ logger: false });
    identities = await setupIdentities(hub, IDENTITIES);
    for (const name of ['prod-east', 'staging']) {
      const created = await hub.clusters.create(name, 'test');
      if (!created) throw new Error('exists');
      await hub.clusters.markConnected(name, {
        agentVersion: 'test',
        kubernetesVersion: 'v1.35.4',
        capabilities: { basic: true, advanced: true, podExec: true },
      });
    }
    const prod = await hub.clusters.get('prod-east');
    if (!prod) throw new Error('no cluster');
    commandId = (await hub.commands.create('test', prod, { ...annotate(), dryRun: false }, annotate().params)).id;
  });
  afterAll(() => hub.close());

  const CASES: AuthzCase[] = [
    { route: 'GET /api/v1/clusters', allow: ALL },
    {
      route: 'POST /api/v1/clusters',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/clusters', payload: { name: `new-${++counter}` } }),
      success: [201],
    },
    {
      route: 'GET /api/v1/clusters/{cluster}',
      allow: SEES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east' }),
    },
    {
      route: 'DELETE /api/v1/clusters/{cluster}',
      allow: ADMIN_ONLY,
      request: async ({ hub: h }) => {
        const name = `doomed-${++counter}`;
        await h.clusters.create(name, 'test');
        return { url: `/api/v1/clusters/${name}` };
      },
      success: [204],
    },
    {
      route: 'POST /api/v1/clusters/{cluster}/token/revoke',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/clusters/staging/token/revoke' }),
    },
    {
      route: 'POST /api/v1/clusters/{cluster}/token/rotate',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/clusters/staging/token/rotate' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/resources',
      allow: SEES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/resources' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/timeline',
      allow: VIEWS_PROD_CLUSTER_WIDE,
      request: () => ({ url: '/api/v1/clusters/prod-east/timeline' }),
    },
    // No agent here: an allowed caller gets past authorization to 503 agent_unavailable; everyone else 403.
    {
      route: 'GET /api/v1/clusters/{cluster}/objects',
      allow: SEES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/objects?kind=ConfigMap&namespace=team-a&name=settings' }),
      success: [503],
    },
    {
      route: 'POST /api/v1/clusters/{cluster}/actions',
      allow: ACTS_ON_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/actions', payload: annotate() }),
      success: [202],
    },
    { route: 'GET /api/v1/actions/{id}', allow: SEES_PROD, request: () => ({ url: `/api/v1/actions/${commandId}` }) },
    { route: 'GET /api/v1/actions', allow: ALL },
    { route: 'GET /api/v1/catalog/actions', allow: ALL },
  ];

  for (const c of CASES) {
    it(c.route, async () => {
      expect(await checkAuthzCase(hub, identities, c)).toEqual([]);
    });
  }

  it('covers every route tagged clusters, inventory, timeline or actions', async () => {
    expect(await uncoveredRoutes(hub, CASES, { tags: ['clusters', 'inventory', 'timeline', 'actions'] })).toEqual([]);
  });

  it('scopes by namespace: a team-a viewer sees team-a objects only and is refused elsewhere', async () => {
    const viewer = identities.get('viewer@*/team-a');
    if (!viewer) throw new Error('no identity');
    const now = Date.now();
    const item = (ns: string, name: string) => ({
      kind: 'ConfigMap' as const,
      namespace: ns,
      name,
      uid: `${ns}-${name}`,
      resourceVersion: '1',
      createdAt: now,
      labels: {},
      ownerRefs: [],
      summary: {},
    });
    await hub.inventory.applyChanges('prod-east', [item('team-a', 'mine'), item('team-b', 'theirs')], []);
    const res = await hub.app.inject({
      url: '/api/v1/clusters/prod-east/resources?kind=ConfigMap',
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    expect(res.json<{ items: { name: string }[] }>().items.map((i) => i.name)).toEqual(['mine']);
    const other = await hub.app.inject({
      url: '/api/v1/clusters/prod-east/resources?namespace=team-b',
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({
      error: 'forbidden',
      permission: 'view',
      scope: { cluster: 'prod-east', namespace: 'team-b' },
    });
    const operator = identities.get('operator@staging');
    const act = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters/prod-east/actions',
      payload: annotate(),
      headers: { authorization: `Bearer ${operator?.token ?? ''}` },
    });
    expect(act.statusCode).toBe(403);
    expect(act.json()).toMatchObject({
      permission: 'action:annotate',
      scope: { cluster: 'prod-east', namespace: 'team-a' },
    });
  });
});
