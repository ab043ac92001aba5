#!/usr/bin/env node
// Records what a real agent sends for the fan-in benchmark's load generator
// (fan-in/replay.ts): a real `wheelhouse agent` process watches the local kwok
// cluster (test/cluster) and talks to a real hub through a tap — a WebSocket
// proxy that forwards every frame both ways and writes the agent's messages
// down. First what the agent sends on connect (hello, the inventory snapshot,
// the first timeline and insights), then, while deployments are created,
// scaled and deleted and bare pods come and go, the stream of changes.
//   node bench/dist/src/fan-in/record.js [--seconds 30] [--out bench/fixtures/fan-in-recording.jsonl.gz]
// The output is gzipped JSON lines: {"phase":"connect"|"changes","t":ms,"msg":<agent message>}.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { WebSocket, WebSocketServer } from 'ws';
import { createHub } from '@wheelhouse/hub';
import { AGENT_CONNECT_PATH } from '@wheelhouse/protocol';
import { up } from '@wheelhouse/test-cluster';

const CLI = fileURLToPath(new URL('../../../../packages/cli/dist/src/main.js', import.meta.url));
/** The committed recording (bench/fixtures), from the built file (dist/src/fan-in) or the source (tests). */
export const DEFAULT_RECORDING = fileURLToPath(
  new URL(
    `${import.meta.url.includes('/dist/') ? '../../..' : '../..'}/fixtures/fan-in-recording.jsonl.gz`,
    import.meta.url,
  ),
);

/** Agent messages worth replaying: what the hub stores and fans out to browsers (not pings, stream answers, usage). */
const RECORDED = new Set([
  'hello',
  'inventory.snapshot',
  'inventory.changes',
  'timeline',
  'insights.snapshot',
  'insights.changes',
]);

interface Entry {
  phase: 'connect' | 'changes';
  t: number;
  msg: unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`[record] ${s}\n`);

async function workload(kc: k8s.KubeConfig, seconds: number): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const ns = `fanin-rec-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const deployment = (name: string, replicas: number): k8s.V1Deployment => ({
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] },
      },
    },
  });
  const scale = (name: string, replicas: number): Promise<unknown> =>
    apps.patchNamespacedDeploymentScale(
      { name, namespace: ns, body: { spec: { replicas } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  const until = Date.now() + seconds * 1000;
  let round = 0;
  try {
    while (Date.now() < until) {
      const names = [0, 1, 2].map((i) => `web-${round}-${i}`);
      for (const n of names) await apps.createNamespacedDeployment({ namespace: ns, body: deployment(n, 2) });
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: `bare-${round}`, labels: { app: 'bare' } },
          spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] },
        },
      });
      await sleep(2000);
      for (const n of names) await scale(n, 5);
      await sleep(2000);
      for (const n of names) await scale(n, 1);
      await core.deleteNamespacedPod({ name: `bare-${round}`, namespace: ns, gracePeriodSeconds: 0 });
      await sleep(2000);
      for (const n of names) await apps.deleteNamespacedDeployment({ name: n, namespace: ns });
      await sleep(1000);
      round++;
    }
  } finally {
    await sleep(3000); // the last deletions reach the agent and the tap
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

/** Records the agent's messages: connect phase until the link is quiet, then `seconds` of workload. */
export async function record(seconds: number): Promise<Entry[]> {
  const cluster = await up({ log });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const dir = mkdtempSync(join(tmpdir(), 'wh-fanin-rec-'));
  const hub = await createHub({ dataDir: join(dir, 'hub'), logger: false, webRoot: false });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const hubWs = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}${AGENT_CONNECT_PATH}`;
  const created = await hub.clusters.create('rec', 'fan-in recording');
  if (!created) throw new Error('could not register the recording cluster');
  const entries: Entry[] = [];
  let phase: Entry['phase'] = 'connect';
  const started = Date.now();
  let lastMessage = Date.now();
  // The tap: one upstream socket per agent connection, frames forwarded both ways as they come.
  const tap = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  tap.on('connection', (agent, req) => {
    const upstream = new WebSocket(hubWs, { headers: { authorization: req.headers.authorization ?? '' } });
    const pending: [Buffer, boolean][] = [];
    agent.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) {
        const msg = JSON.parse(data.toString('utf8')) as { type: string };
        if (RECORDED.has(msg.type)) entries.push({ phase, t: Date.now() - started, msg });
        lastMessage = Date.now();
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else pending.push([data, binary]);
    });
    upstream.on('open', () => {
      for (const [d, b] of pending.splice(0)) upstream.send(d, { binary: b });
    });
    upstream.on('message', (data: Buffer, binary: boolean) => agent.send(data, { binary }));
    upstream.on('close', (code, reason) => agent.close(code >= 4000 ? code : 1011, reason.toString()));
    agent.on('close', () => upstream.close());
    upstream.on('error', (err) => log(`upstream: ${err.message}`));
  });
  await new Promise((r) => tap.once('listening', r));
  const tapUrl = `http://127.0.0.1:${(tap.address() as AddressInfo).port}`;
  const agent = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      '--hub',
      tapUrl,
      '--token',
      created.token,
      '--kubeconfig',
      cluster.kubeconfig,
      '--tiers',
      'basic',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const deadline = Date.now() + 60_000;
    while (!(await hub.clusters.get('rec'))?.connected || Date.now() - lastMessage < 3000) {
      if (Date.now() > deadline) throw new Error('the agent did not connect and settle within 60 s');
      if (agent.exitCode !== null) throw new Error(`agent exited with ${agent.exitCode}`);
      await sleep(200);
    }
    log(`connect phase: ${entries.length} messages; workload for ${seconds} s ...`);
    phase = 'changes';
    await workload(kc, seconds);
  } finally {
    agent.kill('SIGTERM');
    tap.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return entries;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '30' }, out: { type: 'string', default: DEFAULT_RECORDING } },
  });
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds < 5) throw new Error('--seconds must be at least 5');
  const entries = await record(seconds);
  const changes = entries.filter(
    (e) => e.phase === 'changes' && (e.msg as { type: string }).type === 'inventory.changes',
  );
  if (changes.length === 0) throw new Error('no inventory changes were recorded');
  const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
  writeFileSync(values.out, gzipSync(text));
  log(`${entries.length} messages (${changes.length} inventory.changes) → ${values.out}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`record: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}
