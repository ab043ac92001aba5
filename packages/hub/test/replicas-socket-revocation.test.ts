// Revoking access closes the person's sockets on every replica, not only on
// the one that made the change: three hub processes on one PostgreSQL store;
// a user's live feeds are open on B and C; an admin removes one of the user's
// role bindings through A; both sockets close with 4401 and the reason within
// a few seconds (the periodic sweep does not catch a removed binding), and
// another user's socket on B stays open. A close whose notification is lost
// (a replica's LISTEN connection was down) is caught by each replica's sweep
// of its sockets against the bindings in the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiToken, createBinding, createUser } from '../src/auth/identity-store.js';
import { openDatabase } from '../src/store/db.js';
import { hashPassword } from '../src/auth/password.js';
import { SOCKET_CLOSE_REVOKED } from '../src/http/socket-registry.js';
import { startReplicas, type Replicas } from './support/replicas.js';

interface Opened {
  ws: WebSocket;
  closed: Promise<{ at: number; code: number; reason: string }>;
}

function openSocket(url: string, token: string): Promise<Opened> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ at: number; code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => r({ at: performance.now(), code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('revoking access closes sockets on every replica', { timeout: 120_000 }, () => {
  let r: Replicas;
  const tokens: Record<string, string> = {};
  let removable = '';
  let lost = '';

  beforeAll(async () => {
    r = await startReplicas({
      seed: async (db) => {
        const add = async (username: string, bindings: [string, string][]): Promise<string> => {
          const { user } = await createUser(db, {
            username,
            passwordHash: await hashPassword('correct horse battery staple'),
            mustChangePassword: false,
            createdBy: 't',
          });
          let last = '';
          for (const [role, clusterPattern] of bindings)
            last = (
              await createBinding(db, {
                userId: user.id,
                role: role as 'viewer',
                clusterPattern,
                namespacePattern: '*',
                createdBy: 't',
              })
            ).id;
          tokens[username] = (await createApiToken(db, { userId: user.id, name: 'test' })).token;
          return last;
        };
        await add('root', [['account-admin', '*']]);
        // Removing olga's second binding leaves her a viewer: her sockets close so they reconnect under
        // what she has now, as on one hub (socket-revocation.int.test.ts).
        removable = await add('olga', [
          ['viewer', '*'],
          ['viewer', 'prod'],
        ]);
        await add('piet', [['viewer', '*']]);
        lost = await add('anna', [
          ['viewer', '*'],
          ['viewer', 'prod'],
        ]);
      },
    });
  }, 90_000);
  afterAll(async () => {
    await r.stop();
  });

  const live = (i: number): string => `${(r.urls[i] ?? '').replace('http', 'ws')}/api/v1/live?cluster=prod`;

  it("a binding removed through A closes the user's sockets on B and C with 4401 and the reason", async () => {
    const onB = await openSocket(live(1), tokens.olga ?? '');
    const onC = await openSocket(live(2), tokens.olga ?? '');
    const other = await openSocket(live(1), tokens.piet ?? '');
    const t0 = performance.now();
    const res = await fetch(`${r.urls[0] ?? ''}/api/v1/bindings/${removable}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens.root ?? ''}` },
    });
    expect(res.status).toBe(204);
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 4_000).unref());
    const closes = await Promise.all([Promise.race([onB.closed, timeout]), Promise.race([onC.closed, timeout])]);
    for (const c of closes) {
      expect(c).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'a role binding was removed' });
      expect((c?.at ?? Infinity) - t0).toBeLessThan(4_000);
    }
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    other.ws.close();
  });

  it('a binding removed with no notification (LISTEN down) still closes the sockets on every replica within a sweep', async () => {
    const onB = await openSocket(live(1), tokens.anna ?? '');
    const onC = await openSocket(live(2), tokens.anna ?? '');
    const other = await openSocket(live(1), tokens.piet ?? '');
    // Straight in the store: no replica decides the close, no NOTIFY is sent — as when it was lost.
    const db = await openDatabase({ store: r.storeUrl });
    try {
      await db.deleteFrom('role_bindings').where('id', '=', lost).execute();
    } finally {
      await db.destroy();
    }
    const t0 = performance.now();
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 9_000).unref());
    const closes = await Promise.all([Promise.race([onB.closed, timeout]), Promise.race([onC.closed, timeout])]);
    for (const c of closes) {
      expect(c).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'a role binding was removed or has ended' });
      // The sweep runs every 5 s.
      expect((c?.at ?? Infinity) - t0).toBeLessThan(7_000);
    }
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    other.ws.close();
  });

  it('a binding made afresh with the same role and scope (as an SSO renewal does) keeps the sockets open', async () => {
    const onB = await openSocket(live(1), tokens.piet ?? '');
    const db = await openDatabase({ store: r.storeUrl });
    try {
      await db.transaction().execute(async (trx) => {
        const old = await trx.selectFrom('role_bindings').selectAll().where('created_by', '=', 't').execute();
        const viewers = old.filter((b) => b.role === 'viewer' && b.cluster_pattern === '*');
        for (const b of viewers) {
          await trx.deleteFrom('role_bindings').where('id', '=', b.id).execute();
          await createBinding(trx, {
            userId: b.user_id,
            role: 'viewer',
            clusterPattern: '*',
            namespacePattern: '*',
            createdBy: 'renewal',
          });
        }
      });
    } finally {
      await db.destroy();
    }
    // More than one sweep (every 5 s).
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    expect(onB.ws.readyState).toBe(WebSocket.OPEN);
    onB.ws.close();
  });
});
