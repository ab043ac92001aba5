// A shell open that the agent neither opens nor refuses ends with a clear error
// within a bound (issue 17: an open lost on the way once left the person
// waiting on silence). A real hub on loopback; its agent is a raw link client
// that answers the hub's shell pings — so the link looks healthy and the
// "agent lost" path never fires — but swallows every shell.open, which is what
// an open lost between the relay and the agent looks like from the hub. The
// session's row and audit are read from the store: started, then ended with
// `error`, in that order; the agent is told to close what it may still get.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeShellPath, shellPath, type HubMessage } from '@wheelhouse/protocol';
import { eventually } from '@wheelhouse/test-cluster/testing';
import { createHub, type Hub } from '../src/server.js';
import { addUser, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { podItem } from './support/inventory-items.js';
import { rawAgent, type RawAgent } from './support/raw-agent.js';
import { connectShell, type ShellClient } from './support/shell-client.js';

useFastPasswordHashing();

const OPEN_TIMEOUT_MS = 1500;
const NODE_OPEN_TIMEOUT_MS = 2500;

describe('a shell open that gets no answer from the agent', () => {
  let hub: Hub;
  let base: string;
  let agent: RawAgent;
  let admin: TestUser;
  const received: HubMessage[] = [];

  beforeAll(async () => {
    hub = await createHub({
      logger: false,
      webRoot: false,
      shell: { openTimeoutMs: OPEN_TIMEOUT_MS, nodeShellOpenTimeoutMs: NODE_OPEN_TIMEOUT_MS },
    });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const c = await hub.clusters.create('silent', 'test');
    if (!c) throw new Error('cluster exists');
    agent = await rawAgent(hub, c.token, { hello: false });
    agent.send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'raw',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: true, nodeShell: true, nodeShellNamespace: 'node-shells' },
      missingPermissions: {},
    });
    agent.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as HubMessage;
      received.push(msg);
      // Alive to the hub's probe, silent to the open.
      if (msg.type === 'shell.ping') agent.send({ type: 'shell.pong', t: msg.t });
    });
    await eventually('the raw agent connected', async () => (await hub.clusters.get('silent'))?.connected);
    await hub.inventory.applyChanges(
      'silent',
      [
        podItem('team-a', 'web-0'),
        {
          kind: 'Node',
          namespace: '',
          name: 'node-1',
          uid: 'u-node-1',
          resourceVersion: '1',
          createdAt: 1,
          labels: {},
          ownerRefs: [],
          summary: { unschedulable: false, conditions: { Ready: 'True' }, taints: [], addresses: [], spec: {} },
        },
      ],
      [],
    );
    admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
  });
  afterAll(async () => {
    agent.ws.close();
    await hub.close();
  });

  async function open(path: string): Promise<ShellClient> {
    const c = await connectShell(new URL(path, base), admin.token);
    if (!('client' in c)) throw new Error(`refused: ${c.status} ${JSON.stringify(c.body)}`);
    return c.client;
  }

  /** The session's end as the store has it: its row, and its audit records in chain order. */
  async function stored(sessionId: string) {
    const row = await hub.db
      .selectFrom('shell_sessions')
      .select(['ended_at', 'end_reason'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    const audit = (await hub.audit.query({ action: 'shell.*', limit: 100 })).items
      .filter((e) => (e.params as { sessionId?: string } | null)?.sessionId === sessionId)
      .sort((a, b) => a.seq - b.seq)
      .map((e) => e.action);
    return { row, audit };
  }

  for (const kind of ['pod shell', 'node shell'] as const) {
    it(`${kind}: ends with an error naming the bound, the row and audit say so, the agent is told to close`, async () => {
      const bound = kind === 'pod shell' ? OPEN_TIMEOUT_MS : NODE_OPEN_TIMEOUT_MS;
      const t0 = Date.now();
      const client = await open(
        kind === 'pod shell' ? shellPath('silent', 'team-a', 'web-0') : nodeShellPath('silent', 'node-1'),
      );
      const closed = await client.waitControl('closed', bound + 5000);
      const ms = Date.now() - t0;
      expect(closed).toMatchObject({ reason: 'error' });
      expect(ms).toBeGreaterThanOrEqual(bound);
      expect(ms).toBeLessThan(bound + 3000);
      const error = client.controls.find((c) => c.type === 'error');
      expect(String(error?.message)).toBe(
        `the agent of cluster "silent" did not answer the ${kind} open within ${bound / 1000} s; the session was ended, try again`,
      );
      expect(client.controls.some((c) => c.type === 'opened')).toBe(false);
      expect(await client.closed).toBe(1000);

      const openMsg = received.find(
        (m): m is Extract<HubMessage, { type: 'shell.open' }> =>
          m.type === 'shell.open' && (kind === 'node shell') === (m.node !== undefined),
      );
      expect(openMsg).toBeDefined();
      const id = openMsg?.sessionId ?? '';
      await eventually('the agent told to close the session', () =>
        Promise.resolve(received.some((m) => m.type === 'shell.close' && m.sessionId === id)),
      );
      await eventually('the end recorded', async () => (await stored(id)).row?.end_reason === 'error');
      const { row, audit } = await stored(id);
      expect(row?.ended_at).toBeGreaterThan(0);
      expect(audit).toEqual(['shell.start', 'shell.end']);
    }, 20_000);
  }
});
