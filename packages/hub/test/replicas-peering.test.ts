// Two hub replicas in process on one PostgreSQL store, each listening on its
// own port, and a raw agent link on replica A. Asked of replica B: a command
// (woken over LISTEN/NOTIFY: the safety-net sweep is an hour away) and a live
// object read (through B's tunnel to A's internal peer route, answered by the
// agent on A). The peer route opens only with the replicas' peer secret: no
// header, a wrong signature or a user's API token is refused with 401 and
// audited (peer.connect, denied); commands never go through a tunnel.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freePort } from '@wheelhouse/test-cluster/processes';
import type { ActionRequest, HubMessage } from '@wheelhouse/protocol';
import { validateActionRequest } from '../src/commands/command-service.js';
import { PEER_HEADER, PEER_PATH, peerSignature } from '../src/peering/peer-tunnels.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';
import { configMapItem, rawAgent, type RawAgent } from './support/raw-agent.js';
import { newPostgresStore } from './support/store-factories.js';

useFastPasswordHashing();

const SECRET = 'test-peer-secret-0123456789abcdef';

const until = async <T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('replicas: streams and commands asked of the replica without the agent link', { timeout: 30_000 }, () => {
  let a: Hub;
  let b: Hub;
  let urlA = '';
  let agent: RawAgent;
  const fromHub: HubMessage[] = [];

  beforeAll(async () => {
    const store = await newPostgresStore();
    const start = async (): Promise<{ hub: Hub; url: string }> => {
      const port = await freePort(); // the peer URL names the port before the hub listens
      const url = `http://127.0.0.1:${port}`;
      const hub = await createHub({
        logger: false,
        webRoot: false,
        ...store,
        sweepMs: 3_600_000, // no safety-net dispatch: only the wake-up can deliver
        replica: { peerUrl: url, peerSecret: SECRET, heartbeatMs: 200, staleMs: 2000 },
      });
      await hub.app.listen({ host: '127.0.0.1', port });
      return { hub, url };
    };
    ({ hub: a, url: urlA } = await start());
    ({ hub: b } = await start());
    const created = await a.clusters.create('peered', 'test');
    agent = await rawAgent(a, created?.token ?? '');
    agent.ws.on('message', (d: Buffer, binary: boolean) => {
      if (!binary) fromHub.push(JSON.parse(d.toString()) as HubMessage);
    });
    agent.send({
      type: 'inventory.snapshot',
      kind: 'ConfigMap',
      snapshotId: 's1',
      items: [configMapItem('team-a', 'settings')],
      last: true,
    });
    await until('the link recorded as held by replica a', async () => {
      const row = await b.db.selectFrom('agent_links').selectAll().executeTakeFirst();
      return row?.replica_id === a.replicas.id && (await b.clusters.get('peered'))?.connected ? true : undefined;
    });
  });
  afterAll(async () => {
    agent.ws.terminate();
    await b.close();
    await a.close();
  });

  it('a command queued on replica b reaches the agent on replica a by wake-up', async () => {
    const view = await until('the cluster with its tiers', async () => {
      const c = await b.clusters.get('peered');
      return c?.capabilities.advanced && (await b.inventory.get('peered', 'ConfigMap', 'team-a', 'settings'))
        ? c
        : undefined;
    });
    const req: ActionRequest = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: 'team-a', name: 'settings' },
      params: { key: 'example.com/x', value: '1' },
      reason: 'replicas',
      dryRun: false,
    };
    const cmd = await b.commands.create('tester', view, req, validateActionRequest(view, req).params);
    expect(b.link.isConnected('peered')).toBe(false);
    await b.link.wake('peered');
    const got = await until('the command at the agent', () =>
      fromHub.find((m) => m.type === 'command' && m.command.id === cmd.id),
    );
    expect(got).toMatchObject({ type: 'command' });
    await until('recorded as dispatched', async () =>
      (await b.commands.get(cmd.id))?.state === 'dispatched' ? true : undefined,
    );
  });

  it('a live object read on replica b is answered by the agent on replica a through the tunnel', async () => {
    const answered = (async () => {
      const ask = await until('object.get at the agent', () =>
        fromHub.find((m): m is Extract<HubMessage, { type: 'object.get' }> => m.type === 'object.get'),
      );
      agent.send({
        type: 'object.result',
        requestId: ask.requestId,
        object: { kind: 'ConfigMap', metadata: { name: ask.name } },
        yaml: `kind: ConfigMap\nmetadata:\n  name: ${ask.name}\n`,
      });
    })();
    const result = await b.objects.get({
      cluster: 'peered',
      kind: 'ConfigMap',
      namespace: 'team-a',
      name: 'settings',
      user: 'alice',
    });
    await answered;
    expect(result).toMatchObject({ ok: true, value: { yaml: expect.stringContaining('name: settings') as unknown } });
  });

  it('a link the store lost (a sweep after an outage) is recorded again by its holder, connected again', async () => {
    await a.db.deleteFrom('agent_links').where('cluster_id', '=', 'peered').execute();
    await a.db.updateTable('clusters').set({ connected: 0 }).where('id', '=', 'peered').execute();
    await until('the link recorded again', async () => {
      const row = await b.db.selectFrom('agent_links').selectAll().executeTakeFirst();
      return row?.replica_id === a.replicas.id && (await b.clusters.get('peered'))?.connected ? true : undefined;
    });
  });

  it('the agent leaving replica a ends what b relays through it (agent-lost), and b no longer reaches it', async () => {
    const pending = b.objects.get({ cluster: 'peered', kind: 'ConfigMap', namespace: 'team-a', name: 'x', user: 'a' });
    await until('the second object.get at the agent', () =>
      fromHub.filter((m) => m.type === 'object.get').length >= 2 ? true : undefined,
    );
    agent.ws.close();
    const r = await pending;
    expect(r).toMatchObject({ ok: false, problem: { code: 'agent_unavailable' } });
    await until('b sees the link gone', async () => ((await b.link.reach('peered')) ? undefined : true));
  });

  it('the peer route refuses a missing or wrong signature and user credentials, and audits each refusal', async () => {
    const { port } = a.app.server.address() as AddressInfo;
    const url = `ws://127.0.0.1:${port}${PEER_PATH}?cluster=peered`;
    const user = await addUser(a, { username: 'peer-prober', bindings: [{ role: 'account-admin' }] });
    const open = (headers: Record<string, string>): Promise<string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.on('open', () => {
          ws.close();
          resolve('opened');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', () => resolve('error'));
      });
    const at = Date.now();
    const cases: [string, Record<string, string>][] = [
      ['no header', {}],
      ['a user API token', bearer(user.token)],
      [
        'a wrong secret',
        { [PEER_HEADER]: `${b.replicas.id}.${at}.${peerSignature('wrong', b.replicas.id, at, 'peered')}` },
      ],
      [
        'a signature for another cluster',
        { [PEER_HEADER]: `${b.replicas.id}.${at}.${peerSignature(SECRET, b.replicas.id, at, 'other')}` },
      ],
      [
        'a replayed old signature',
        {
          [PEER_HEADER]: `${b.replicas.id}.${at - 120_000}.${peerSignature(SECRET, b.replicas.id, at - 120_000, 'peered')}`,
        },
      ],
      ['an unknown replica', { [PEER_HEADER]: `nobody.${at}.${peerSignature(SECRET, 'nobody', at, 'peered')}` }],
    ];
    for (const [name, headers] of cases) expect(await open(headers), name).toBe('401');
    const rows = await a.db
      .selectFrom('audit_log')
      .select(['actor', 'outcome', 'detail'])
      .where('action', '=', 'peer.connect')
      .execute();
    const reasons = rows.map((r) => (JSON.parse(r.detail ?? '{}') as { reason: string }).reason);
    expect(rows.every((r) => r.outcome === 'denied')).toBe(true);
    for (const reason of ['missing', 'invalid', 'expired', 'unknown_replica']) expect(reasons).toContain(reason);
    // A correct signature passes the checks (tunnels that open are the tests above); here replica b's, for a
    // cluster whose link is no longer on a: refused before the upgrade, so b's reach() says unreachable
    // instead of starting a stream in a tunnel that leads nowhere (issue 17).
    const good = await open({
      [PEER_HEADER]: `${b.replicas.id}.${at}.${peerSignature(SECRET, b.replicas.id, at, 'peered')}`,
    });
    expect(good).toBe('503');
    expect(urlA).toMatch(/^http:/);
  });
});
