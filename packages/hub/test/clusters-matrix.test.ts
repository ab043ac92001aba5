// Every cluster, inventory, timeline and action route × every built-in role
// (and scoped users): no unauthorized success, and no refused call changes
// the store. Then the scoped identities up close: a team-a viewer's reads, and
// a team-a operator acting outside its namespace and on a Node.
import { describe, expect, it } from 'vitest';
import { CLUSTER_MATRIX, annotateRequest, useMatrix } from './support/authz-cases.js';
import { refusalSideEffects } from './support/authz-matrix.js';
import { changesDuring } from './support/db-snapshot.js';
import { bearer } from './support/identity.js';

describe('authorization matrix: clusters, inventory, timeline, actions', () => {
  const m = useMatrix(CLUSTER_MATRIX);

  const who = (name: string) => {
    const i = m.identities.get(name);
    if (!i) throw new Error(`no identity ${name}`);
    return i;
  };

  it('scopes by namespace: a team-a viewer sees team-a objects only and is refused elsewhere', async () => {
    const viewer = who('viewer@*/team-a');
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
      summary: { keys: [] },
    });
    await m.hub.inventory.applyChanges('prod-east', [item('team-a', 'mine'), item('team-b', 'theirs')], []);
    const res = await m.hub.app.inject({
      url: '/api/v1/clusters/prod-east/resources?kind=ConfigMap',
      headers: bearer(viewer.token),
    });
    expect(res.json<{ items: { name: string }[] }>().items.map((i) => i.name)).toEqual(['mine']);
    const other = await m.hub.app.inject({
      url: '/api/v1/clusters/prod-east/resources?namespace=team-b',
      headers: bearer(viewer.token),
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({
      error: 'forbidden',
      permission: 'view',
      scope: { cluster: 'prod-east', namespace: 'team-b' },
    });
    const act = await m.hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters/prod-east/actions',
      payload: annotateRequest(),
      headers: bearer(who('operator@staging').token),
    });
    // operator@staging cannot see prod-east at all: 404, as if it did not exist (never a 403 confirming the name).
    expect(act.statusCode).toBe(404);
    expect(act.json()).toEqual({ error: 'not_found', message: 'cluster "prod-east" not found' });
  });

  // Each refused request: 403 naming the permission and the scope it lacked, one denied audit
  // record, and nothing else written — no command, no transition, no timeline entry.
  const outside: [string, Record<string, unknown>, { namespace?: string }][] = [
    ['annotate a ConfigMap in team-b', annotateRequest('team-b'), { namespace: 'team-b' }],
    [
      'delete a Deployment in team-b',
      { action: 'delete', target: { kind: 'Deployment', namespace: 'team-b', name: 'api' } },
      { namespace: 'team-b' },
    ],
    [
      'apply a manifest into team-b',
      {
        action: 'apply',
        target: { kind: 'ConfigMap', namespace: 'team-b', name: 'settings' },
        params: { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n' },
      },
      { namespace: 'team-b' },
    ],
    ['cordon a Node', { action: 'cordon', target: { kind: 'Node', namespace: '', name: 'kwok-node-0' } }, {}],
    ['uncordon a Node', { action: 'uncordon', target: { kind: 'Node', namespace: '', name: 'kwok-node-0' } }, {}],
    ['drain a Node', { action: 'drain', target: { kind: 'Node', namespace: '', name: 'kwok-node-0' } }, {}],
  ];
  it.each(outside)('a team-a operator may not %s', async (_what, body, scope) => {
    const op = who('operator@*/team-a');
    const { result: res, changes } = await changesDuring(m.hub.db, () =>
      m.hub.app.inject({
        method: 'POST',
        url: '/api/v1/clusters/prod-east/actions',
        payload: body,
        headers: bearer(op.token),
      }),
    );
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({
      error: 'forbidden',
      permission: `action:${String(body.action)}`,
      scope: { cluster: 'prod-east', ...scope },
    });
    // Exactly one change: the denial's audit record.
    expect(changes).toHaveLength(1);
    expect(refusalSideEffects(changes, { status: 403, actor: op.username })).toEqual([]);
  });

  it('a team-a operator acts in team-a, and reads a Node only with cluster-wide object:read', async () => {
    const op = who('operator@*/team-a');
    const ok = await m.hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters/prod-east/actions',
      payload: annotateRequest('team-a'),
      headers: bearer(op.token),
    });
    expect(ok.statusCode, ok.body).toBe(202);
    const { result: node, changes } = await changesDuring(m.hub.db, () =>
      m.hub.app.inject({
        url: '/api/v1/clusters/prod-east/objects?kind=Node&name=kwok-node-0',
        headers: bearer(op.token),
      }),
    );
    expect(node.statusCode).toBe(403);
    expect(node.json()).toMatchObject({ permission: 'object:read', scope: { cluster: 'prod-east' } });
    expect(refusalSideEffects(changes, { status: 403, actor: op.username })).toEqual([]);
    const timeline = await m.hub.app.inject({
      url: '/api/v1/clusters/prod-east/timeline?namespace=team-b',
      headers: bearer(op.token),
    });
    expect(timeline.statusCode).toBe(403);
  });
});
