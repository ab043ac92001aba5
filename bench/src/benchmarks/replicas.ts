// Hub replicas on one PostgreSQL store: 3 replicas vs 1, same server, same
// work, in this process (each hub listens on its own port; an agent link —
// a WebSocket speaking the agent protocol that acknowledges each command at
// once, so the figures are the hub's, not Kubernetes') is on replica 0.
//   replicas-commands: N actions POSTed over HTTP, spread round-robin over
//     the group's replicas, until every one is succeeded. With 3 replicas
//     two thirds are queued where the link is not: stored, woken over
//     LISTEN/NOTIFY, dispatched by replica 0.
//   replicas-live: an agent timeline event until a browser's live socket
//     gets it — on the last replica (3: over NOTIFY) vs on replica 0 (1).
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { createHub, type Hub } from '@wheelhouse/hub';
import { benchToken } from '../bench-token.js';
import { AGENT_CONNECT_PATH } from '@wheelhouse/protocol';
import { createDatabase, postgresUrl, startPostgres, type PostgresServer } from '@wheelhouse/test-postgres';
import type { Benchmark } from '../harness.js';

export interface ReplicaSizes {
  /** Commands per run of replicas-commands (default 50). */
  commands?: number;
}

const CLUSTER = 'bench';

interface Group {
  hubs: Hub[];
  urls: string[];
  token: string;
  agent: WebSocket;
  /** Live socket on the group's last replica. */
  live: WebSocket;
  liveWaiters: Map<string, () => void>;
  next: number;
}

async function listening(hub: Hub): Promise<string> {
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
}

async function startGroup(server: PostgresServer, count: number): Promise<Group> {
  const store = postgresUrl(server, await createDatabase(server, `bench_replicas_${count}`));
  const hubs: Hub[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const hub = await createHub({ logger: false, webRoot: false, store, storePassword: server.password });
    hubs.push(hub);
    urls.push(await listening(hub));
  }
  const first = hubs[0];
  if (!first) throw new Error('no hub');
  const token = await benchToken(first.db, { role: 'operator' });
  const created = await first.clusters.create(CLUSTER, 'bench');
  const agent = new WebSocket(`${urls[0]?.replace('http', 'ws') ?? ''}${AGENT_CONNECT_PATH}`, {
    headers: { authorization: `Bearer ${created?.token ?? ''}` },
  });
  await new Promise((resolve, reject) => {
    agent.once('open', resolve);
    agent.once('error', reject);
  });
  const send = (m: unknown): void => agent.send(JSON.stringify(m));
  // Acknowledge each command as the agent would once Kubernetes showed the effect.
  agent.on('message', (data: Buffer, binary: boolean) => {
    if (binary) return;
    const m = JSON.parse(data.toString('utf8')) as { type: string; command?: { id: string } };
    if (m.type === 'command' && m.command) {
      send({ type: 'command.update', id: m.command.id, state: 'running' });
      send({ type: 'command.update', id: m.command.id, state: 'succeeded', message: 'done' });
    }
  });
  send({
    type: 'hello',
    protocol: 1,
    agentVersion: 'bench',
    kubernetesVersion: 'v1.35.4',
    capabilities: { basic: true, advanced: true, podExec: false },
    missingPermissions: {},
  });
  const deadline = Date.now() + 10_000;
  while (!(await first.clusters.get(CLUSTER))?.connected) {
    if (Date.now() > deadline) throw new Error('bench agent did not connect');
    await new Promise((r) => setTimeout(r, 20));
  }
  const last = urls[urls.length - 1] ?? '';
  const live = new WebSocket(`${last.replace('http', 'ws')}/api/v1/live?cluster=${CLUSTER}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => {
    live.once('open', resolve);
    live.once('error', reject);
  });
  const liveWaiters = new Map<string, () => void>();
  live.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    for (const [id, done] of liveWaiters)
      if (text.includes(id)) {
        liveWaiters.delete(id);
        done();
      }
  });
  return { hubs, urls, token, agent, live, liveWaiters, next: 0 };
}

async function stopGroup(g: Group | undefined): Promise<void> {
  if (!g) return;
  g.live.terminate();
  g.agent.terminate();
  for (const h of [...g.hubs].reverse()) await h.close();
}

async function postCommands(g: Group, n: number, run: number): Promise<void> {
  const ids = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const url = g.urls[g.next++ % g.urls.length] ?? '';
      const res = await fetch(`${url}/api/v1/clusters/${CLUSTER}/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          action: 'annotate',
          target: { kind: 'ConfigMap', namespace: 'bench', name: 'target' },
          params: { key: `example.com/k${run}-${i}`, value: 'v' },
          reason: 'bench',
        }),
      });
      const body = (await res.json()) as { id?: string };
      if (res.status !== 202 || !body.id) throw new Error(`POST actions: ${res.status} ${JSON.stringify(body)}`);
      return body.id;
    }),
  );
  const hub = g.hubs[0];
  if (!hub) return;
  const done = await Promise.all(ids.map((id) => hub.commands.waitForTerminal(id, 60_000)));
  const bad = done.filter((c) => c?.state !== 'succeeded');
  if (bad.length > 0) throw new Error(`${bad.length} commands did not succeed`);
}

let liveSeq = 0;
async function liveRoundTrip(g: Group): Promise<void> {
  const id = `bench-live:${process.pid}:${liveSeq++}`;
  const seen = new Promise<void>((resolve) => g.liveWaiters.set(id, resolve));
  g.agent.send(
    JSON.stringify({
      type: 'timeline',
      events: [
        {
          id,
          time: Date.now(),
          type: 'pod-phase',
          severity: 'info',
          kind: 'Pod',
          namespace: 'bench',
          name: 'p',
          summary: 'Pod p: Pending → Running',
          data: { from: 'Pending', to: 'Running', phase: 'Running', ready: true, nodeName: null },
        },
      ],
    }),
  );
  await seen;
}

/** Both groups on one throw-away PostgreSQL server (fsync on). */
function groups(): { setup: () => Promise<void>; teardown: () => Promise<void>; one: () => Group; three: () => Group } {
  let server: PostgresServer | undefined;
  let one: Group | undefined;
  let three: Group | undefined;
  return {
    setup: async () => {
      server = await startPostgres();
      one = await startGroup(server, 1);
      three = await startGroup(server, 3);
    },
    teardown: async () => {
      await stopGroup(three);
      await stopGroup(one);
      await server?.stop();
    },
    one: () => {
      if (!one) throw new Error('not set up');
      return one;
    },
    three: () => {
      if (!three) throw new Error('not set up');
      return three;
    },
  };
}

export function replicasCommandsBenchmark(sizes: ReplicaSizes = {}): Promise<Benchmark> {
  const n = sizes.commands ?? 50;
  const g = groups();
  let run = 0;
  return Promise.resolve({
    name: 'replicas-commands',
    description: `${n} actions POSTed round-robin until succeeded (agent acknowledges at once): 3 hub replicas vs 1, one PostgreSQL`,
    rounds: 10,
    warmup: 1,
    throughput: { units: n, unit: 'commands' },
    setup: g.setup,
    teardown: g.teardown,
    subject: { label: '3 replicas', run: () => postCommands(g.three(), n, run++) },
    baseline: { label: '1 replica', run: () => postCommands(g.one(), n, run++) },
  });
}

export function replicasLiveBenchmark(): Promise<Benchmark> {
  const g = groups();
  return Promise.resolve({
    name: 'replicas-live',
    description:
      'live-feed latency: agent timeline event → browser live socket on the last replica (3, via NOTIFY) vs the only one (1)',
    rounds: 100,
    warmup: 5,
    setup: g.setup,
    teardown: g.teardown,
    subject: { label: '3 replicas', run: () => liveRoundTrip(g.three()) },
    baseline: { label: '1 replica', run: () => liveRoundTrip(g.one()) },
  });
}
