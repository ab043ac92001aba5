// Pod shell routes × every built-in role and scoped users: no unauthorized
// success, and a refusal leaves only its audit record and the pod's timeline
// note. The shell route answers a plain GET with 426 after every check, so the
// matrix sees its authorization without a WebSocket.
import { describe, expect, it } from 'vitest';
import { SHELL_MATRIX, SHELL_SESSION, useMatrix } from './support/authz-cases.js';

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
});
