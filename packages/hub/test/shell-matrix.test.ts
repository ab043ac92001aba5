// Pod shell routes × every built-in role and scoped users: no unauthorized
// success, and a refusal leaves only its audit record and the pod's timeline
// note. The shell route answers a plain GET with 426 after every check, so the
// matrix sees its authorization without a WebSocket.
import { describe, expect, it } from 'vitest';
import { SHELL_MATRIX, SHELL_SESSION, useMatrix } from './support/authz-cases.js';
import { refusalSideEffects } from './support/authz-matrix.js';
import { changesDuring } from './support/db-snapshot.js';
import { bearer } from './support/identity.js';
import { runningPodSummary } from './support/inventory-items.js';

describe('authorization matrix: pod shell', () => {
  const m = useMatrix(SHELL_MATRIX);

  it('lists only the caller’s own sessions without audit:read, and refuses naming another user', async () => {
    const op = m.identities.get('operator');
    const auditor = m.identities.get('auditor');
    if (!op || !auditor) throw new Error('no identity');
    const own = await m.hub.app.inject({ url: '/api/v1/sessions', headers: { authorization: `Bearer ${op.token}` } });
    expect(own.json<{ items: unknown[] }>().items).toEqual([]);
    const other = await m.hub.app.inject({
      url: '/api/v1/sessions?user=someone-else',
      headers: { authorization: `Bearer ${op.token}` },
    });
    expect(other.statusCode).toBe(403);
    const all = await m.hub.app.inject({
      url: '/api/v1/sessions?user=someone-else',
      headers: { authorization: `Bearer ${auditor.token}` },
    });
    expect(all.json<{ items: { id: string }[] }>().items.map((s) => s.id)).toEqual([SHELL_SESSION]);
  });

  it('a team-a operator opens no shell in team-b: 403 naming pod:exec there, and only the refusal is recorded', async () => {
    const op = m.identities.get('operator@*/team-a');
    if (!op) throw new Error('no identity');
    await m.hub.inventory.applyChanges(
      'prod-east',
      [
        {
          kind: 'Pod',
          namespace: 'team-b',
          name: 'db-0',
          uid: 'u-db-0',
          resourceVersion: '1',
          createdAt: Date.now(),
          labels: {},
          ownerRefs: [],
          summary: runningPodSummary(['db']),
        },
      ],
      [],
    );
    const { result: res, changes } = await changesDuring(m.hub.db, () =>
      m.hub.app.inject({ url: '/api/v1/clusters/prod-east/pods/team-b/db-0/shell', headers: bearer(op.token) }),
    );
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ permission: 'pod:exec', scope: { cluster: 'prod-east', namespace: 'team-b' } });
    expect(refusalSideEffects(changes, { status: 403, actor: op.username, refusalOnTimeline: true })).toEqual([]);
    expect(changes.map((c) => c.table).sort()).toEqual(['audit_log', 'timeline_events']);
  });
});
