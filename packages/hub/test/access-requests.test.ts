// Just-in-time access through the API with several people: a developer asks
// for operator on prod/payments for an hour, a peer approves, the grant gives
// pod:exec there and ends by itself; self-approval, a decider outside the
// scope, escalation past the decider's own role and durations over the
// maximum are refused with precise errors, audited; a request nobody decides
// within a day lapses and can no longer be approved; every step reaches the
// notification webhook as a Slack-compatible payload.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { changesDuring, describeChange } from './support/db-snapshot.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

describe.each(storeFactories)('just-in-time access requests ($name store)', (store) => {
  let hub: Hub;
  let webhook: Server;
  const received: { text: string }[] = [];
  let dev: TestUser;
  let peer: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as { text: string });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    const { port } = webhook.address() as AddressInfo;
    hub = await createHub({
      ...(await store.options()),
      logger: false,
      webRoot: false,
      access: { maxDurationMs: 2 * 3_600_000, webhookUrl: `http://127.0.0.1:${port}/hook` },
    });
    await hub.clusters.create('prod', 'test');
    dev = await addUser(hub, {
      username: 'dev',
      bindings: [{ role: 'viewer', cluster: 'prod', namespace: 'payments' }],
    });
    peer = await addUser(hub, { username: 'peer', bindings: [{ role: 'operator', cluster: 'prod', namespace: '*' }] });
    outsider = await addUser(hub, { username: 'outsider', bindings: [{ role: 'operator', cluster: 'staging' }] });
  });
  afterAll(async () => {
    await hub.close();
    webhook.close();
  });

  interface RequestOut {
    id: string;
    state: string;
    createdAt: number;
    pendingUntil: number | null;
    expiresAt: number | null;
    requester: string;
  }
  const ask = (who: TestUser, body: Record<string, unknown>) =>
    hub.app.inject({ method: 'POST', url: '/api/v1/access-requests', headers: bearer(who.token), payload: body });
  const decide = (who: TestUser, id: string, decision: 'approve' | 'deny', comment?: string) =>
    hub.app.inject({
      method: 'POST',
      url: `/api/v1/access-requests/${id}/${decision}`,
      headers: bearer(who.token),
      payload: comment !== undefined ? { comment } : {},
    });
  const list = async (who: TestUser, view: string): Promise<RequestOut[]> =>
    (
      await hub.app.inject({ method: 'GET', url: `/api/v1/access-requests?view=${view}`, headers: bearer(who.token) })
    ).json<{ items: RequestOut[] }>().items;
  const canExec = async (who: TestUser): Promise<boolean> => {
    const me = (await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(who.token) })).json<{
      permissions: { scopes: { cluster: string; namespace: string; permissions: string[] }[] };
    }>();
    return me.permissions.scopes.some(
      (s) => s.cluster === 'prod' && s.namespace === 'payments' && s.permissions.includes('pod:exec'),
    );
  };
  const lastAudit = async (action: string) => {
    const row = await hub.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', action)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    return { ...row, detail: JSON.parse(row.detail ?? 'null') as Record<string, unknown> };
  };
  const webhookSaid = (re: RegExp) => expect.poll(() => received.map((r) => r.text).join('\n')).toMatch(re);

  const ONE_HOUR = {
    role: 'operator',
    cluster: 'prod',
    namespace: 'payments',
    duration: '1h',
    reason: 'INC-42 payments down',
  };

  describe('just-in-time access', () => {
    let requestId = '';

    it('a request is pending, audited and announced; it grants nothing yet', async () => {
      const res = await ask(dev, ONE_HOUR);
      expect(res.statusCode, res.body).toBe(201);
      const r = res.json<RequestOut>();
      requestId = r.id;
      expect(r).toMatchObject({ state: 'pending', requester: 'dev', expiresAt: null });
      expect(await canExec(dev)).toBe(false);
      const audit = await lastAudit('access.request');
      expect(audit).toMatchObject({ actor: 'dev', outcome: 'requested', reason: 'INC-42 payments down' });
      await webhookSaid(/dev asks for operator on prod\/payments for 1 h: "INC-42 payments down"/);
      expect((await list(dev, 'mine')).map((x) => x.id)).toEqual([requestId]);
    });

    it('the requester cannot approve their own request', async () => {
      const { result, changes } = await changesDuring(hub.db, () => decide(dev, requestId, 'approve'));
      expect(result.statusCode).toBe(403);
      expect(result.json()).toMatchObject({ error: 'self_approval' });
      expect(
        changes.map((c) => `${c.kind} ${c.table}`),
        changes.map(describeChange).join('\n'),
      ).toEqual(['added audit_log']);
      expect((await lastAudit('access.approve')).detail).toMatchObject({ error: 'self_approval', requestId });
      // Not even someone who could approve it for anyone else.
      const own = (await ask(peer, { ...ONE_HOUR, namespace: 'ledger' })).json<RequestOut>().id;
      const self = await decide(peer, own, 'approve');
      expect(self.statusCode).toBe(403);
      expect(self.json()).toMatchObject({ error: 'self_approval' });
    });

    it('a peer outside the scope is refused naming access:approve and the scope, and does not see it to approve', async () => {
      const res = await decide(outsider, requestId, 'approve');
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        error: 'forbidden',
        permission: 'access:approve',
        scope: { cluster: 'prod', namespace: 'payments' },
      });
      expect(await list(outsider, 'to-approve')).toEqual([]);
      expect((await list(peer, 'to-approve')).map((x) => x.id)).toEqual([requestId]);
    });

    it('a peer approves: the person can exec on prod/payments until the grant ends', async () => {
      const before = Date.now();
      const res = await decide(peer, requestId, 'approve', 'go ahead');
      expect(res.statusCode, res.body).toBe(200);
      const r = res.json<RequestOut>();
      expect(r.state).toBe('approved');
      expect(r.expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(r.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
      expect(await canExec(dev)).toBe(true);
      expect(await lastAudit('access.approve')).toMatchObject({ actor: 'peer', outcome: 'succeeded' });
      await webhookSaid(/peer approved dev's operator on prod\/payments for 1 h: "go ahead"/);
      // Decided once.
      const again = await decide(peer, requestId, 'deny', 'changed my mind');
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: 'request_not_pending', state: 'approved' });
      expect((await list(dev, 'active')).map((x) => x.id)).toEqual([requestId]);
    });

    it('the grant ends by itself: the binding goes, the end is audited and announced', async () => {
      expect(await hub.access.expireDue(Date.now() + 3_600_001)).toBe(1);
      expect(await canExec(dev)).toBe(false);
      const audit = await lastAudit('access.expire');
      expect(audit).toMatchObject({ actor: 'system', outcome: 'expired' });
      expect(audit.detail).toMatchObject({ requestId, shellsEnded: 0 });
      await webhookSaid(/dev's operator on prod\/payments ended/);
      expect(await list(dev, 'active')).toEqual([]);
    });

    it("every step is on the cluster's timeline, where the namespace's viewers see it", async () => {
      const res = await hub.app.inject({
        method: 'GET',
        url: '/api/v1/clusters/prod/timeline?type=access&namespace=payments',
        headers: bearer(dev.token),
      });
      expect(res.statusCode, res.body).toBe(200);
      const items = res
        .json<{
          items: { kind: string; name: string; summary: string; data: { phase: string; requestId: string } }[];
        }>()
        .items.filter((e) => e.data.requestId === requestId);
      expect(items.map((e) => e.data.phase)).toEqual(['expired', 'approved', 'requested']);
      expect(items.map((e) => e.summary)).toEqual([
        "dev's operator on prod/payments ended",
        "peer approved dev's operator on prod/payments: go ahead",
        'dev asks for operator on prod/payments for 1 h: INC-42 payments down',
      ]);
      expect(items[0]).toMatchObject({ kind: 'Namespace', name: 'payments' });
    });

    it('a binding past its end grants nothing even before the sweeper runs', async () => {
      const res = await ask(dev, { ...ONE_HOUR, duration: '1m' });
      const id = res.json<RequestOut>().id;
      expect((await decide(peer, id, 'approve')).statusCode).toBe(200);
      expect(await canExec(dev)).toBe(true);
      await hub.db
        .updateTable('role_bindings')
        .set({ expires_at: Date.now() - 1 })
        .where('created_by', '=', 'access:peer')
        .execute();
      expect(await canExec(dev)).toBe(false);
    });

    it('a denial carries its comment and grants nothing', async () => {
      const id = (await ask(dev, ONE_HOUR)).json<RequestOut>().id;
      const res = await decide(peer, id, 'deny', 'use the runbook first');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ state: 'denied', comment: 'use the runbook first', expiresAt: null });
      expect(await canExec(dev)).toBe(false);
      await webhookSaid(/peer denied dev's operator on prod\/payments: "use the runbook first"/);
      // A denial needs its comment.
      const id2 = (await ask(dev, ONE_HOUR)).json<RequestOut>().id;
      const bare = await decide(peer, id2, 'deny');
      expect(bare.statusCode).toBe(400);
      expect(bare.json<{ issues: { path: string }[] }>().issues.map((i) => i.path)).toContain('body.comment');
    });

    it('nobody hands out more than they hold there: an operator cannot approve account-admin', async () => {
      const id = (await ask(dev, { ...ONE_HOUR, role: 'account-admin' })).json<RequestOut>().id;
      const res = await decide(peer, id, 'approve');
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'forbidden', permission: 'admin' });
    });

    it('durations over the maximum, under a minute or malformed are refused naming the field', async () => {
      for (const [duration, message] of [
        ['3h', /between 1m and 2h0m0s/],
        ['30s', /between 1m and 2h0m0s/],
        ['soon', /invalid duration "soon"/],
      ] as const) {
        const { result, changes } = await changesDuring(hub.db, () => ask(dev, { ...ONE_HOUR, duration }));
        expect(result.statusCode).toBe(400);
        const body = result.json<{ issues: { path: string; message: string }[] }>();
        expect(body.issues[0]?.path).toBe('body.duration');
        expect(body.issues[0]?.message).toMatch(message);
        expect(changes).toEqual([]);
      }
    });

    it('a request nobody decides within a day lapses: audited, on the timeline, announced, no longer approvable', async () => {
      const asked = (await ask(dev, { ...ONE_HOUR, reason: 'INC-43 nobody around' })).json<RequestOut>();
      expect(asked.pendingUntil).toBe(asked.createdAt + 24 * 3_600_000);
      expect((await list(peer, 'to-approve')).map((x) => x.id)).toContain(asked.id);
      // A minute before the day is up nothing lapses (other tests' requests are younger still).
      expect(await hub.access.lapseDue(asked.createdAt + 24 * 3_600_000 - 60_000)).toBe(0);

      expect(await hub.access.lapseDue(asked.createdAt + 24 * 3_600_000)).toBeGreaterThanOrEqual(1);
      const mine = (await list(dev, 'mine')).find((x) => x.id === asked.id);
      expect(mine?.state).toBe('lapsed');
      expect((await list(peer, 'to-approve')).map((x) => x.id)).not.toContain(asked.id);
      const audit = await hub.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'access.lapse')
        .where('detail', 'like', `%${asked.id}%`)
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ actor: 'system', outcome: 'expired', cluster_id: 'prod' });
      await webhookSaid(/dev's request for operator on prod\/payments expired unanswered after 24 h/);
      const timeline = await hub.app.inject({
        method: 'GET',
        url: '/api/v1/clusters/prod/timeline?type=access&namespace=payments',
        headers: bearer(dev.token),
      });
      const phases = timeline
        .json<{ items: { summary: string; data: { phase: string; requestId: string } }[] }>()
        .items.filter((e) => e.data.requestId === asked.id);
      expect(phases.map((e) => [e.data.phase, e.summary])).toEqual([
        ['lapsed', "dev's request for operator on prod/payments expired unanswered after 24 h"],
        ['requested', 'dev asks for operator on prod/payments for 1 h: INC-43 nobody around'],
      ]);

      // Approving it now is refused with when it lapsed; only the refusal is recorded.
      const { result, changes } = await changesDuring(hub.db, () => decide(peer, asked.id, 'approve'));
      expect(result.statusCode).toBe(409);
      expect(result.json()).toMatchObject({ error: 'request_expired', expiredAt: asked.createdAt + 24 * 3_600_000 });
      expect(result.json<{ message: string }>().message).toMatch(
        /expired unanswered at .*Z \(requests wait 24 h for a decision\); ask again/,
      );
      expect(changes.map((c) => `${c.kind} ${c.table}`)).toEqual(['added audit_log']);
      expect((await lastAudit('access.approve')).detail).toMatchObject({ error: 'expired', requestId: asked.id });
      expect(await canExec(dev)).toBe(false);
    });

    it('a request past its time is refused even before the sweeper marks it', async () => {
      const id = (await ask(dev, ONE_HOUR)).json<RequestOut>().id;
      const due = Date.now() - 1;
      await hub.db.updateTable('access_requests').set({ pending_until: due }).where('id', '=', id).execute();
      const res = await decide(peer, id, 'approve');
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'request_expired', expiredAt: due });
      expect(await canExec(dev)).toBe(false);
      expect((await list(peer, 'to-approve')).map((x) => x.id)).not.toContain(id);
    });
  });
});
