// A node shell never leaks its privileged pod, even when a process dies mid-session
// (issue 17). Real processes (`wheelhouse hub` on PostgreSQL, `wheelhouse agent`
// with the nodeShell tier), killed with SIGKILL while a node shell runs; the pod
// is counted in Kubernetes (pods listed in the node-shell namespace), never taken
// from the agent's word.
//   - agent killed: the pod outlives it (nothing could delete it), and the restarted
//     agent's reaper deletes it at start (the pod has no live session there);
//   - hub killed: the agent's link drops, which ends its sessions, and each
//     session's end deletes its pod — no restart needed; the restarted hub finds
//     the agent back and the first node shell opened on it works (opened, output,
//     exit). That open once got no answer (issue 17): the restarted hub, on the
//     same address, still read its dead predecessor as the link's holder and
//     tunnelled the stream to itself. Replica heartbeats of 3 s here (a replica is
//     dead 15 s after its last one) make the restart land inside that window every
//     time, as a quick restart does in production. A pod shell after another
//     restart likewise (pod shells reach the agent the same way).
//   - the other streams after a restart, each the first asked of the new process:
//     a whole-workload log stream delivers a line appended to the pods' logs, and a
//     port-forward (the CLI's WebSocket, and the console's /pf/<token>/ tab) carries
//     bytes both ways to a real HTTP server behind kwok's PortForward.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nodeShellPath,
  nodeShellPodName,
  portForwardPath,
  shellPath,
  workloadLogsPath,
  type WorkloadLogsServerMessage,
} from '@wheelhouse/protocol';
import { appendContainerLog } from '@wheelhouse/test-cluster';
import type { TestProcess } from '@wheelhouse/test-cluster/processes';
import { startAgentProcess } from './support/agent-process.js';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { seedAdminAndCluster } from './support/replica-seed.js';
import { startReplicas, type Replicas } from './support/replicas.js';
import { connectShell, type ShellClient } from './support/shell-client.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
const CLUSTER = 'node-shell-kill';
const NODE = 'kwok-node-1';
/** How long a pod may outlive a killed hub (the agent's link drops at once), from the kill. */
const BOUND_MS = 15_000;
/**
 * How long a killed agent's pod may outlive its restart: the new process's start (module loading, the API
 * server checks — most of it on a loaded test machine) and one reaper pass, which runs before it links to the hub.
 */
const AGENT_RESTART_BOUND_MS = 60_000;

describe('node shell: a process killed mid-session leaves no privileged pod', () => {
  let r: Replicas;
  let agent: TestProcess | undefined;
  let token = '';
  let agentToken = '';
  let ns = '';
  let appNs = '';
  let web: Server | undefined;
  /** What reached the HTTP server behind the pod's port 8080 (kwok's PortForward dials it). */
  const reachedWeb: string[] = [];

  const startAgent = (): TestProcess =>
    startAgentProcess({
      hubs: [r.urls[0] ?? ''],
      token: agentToken,
      tiers: 'podExec,nodeShell',
      args: [
        '--node-shell-namespace',
        ns,
        // kwok's exec runs here, where nsenter into PID 1 is refused: an interactive sh keeps the session open.
        '--node-shell-command',
        '["sh"]',
      ],
    });
  const podNames = async (): Promise<string[]> =>
    (await core.listNamespacedPod({ namespace: ns })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.name ?? '');
  /** A node shell (or the pod shell at `path`) with an interactive sh, once the hub and the agent are ready for one. */
  const openShell = async (path = nodeShellPath(CLUSTER, NODE)): Promise<{ client: ShellClient; pod: string }> => {
    const client = await eventually(
      'a shell opened',
      async () => {
        const url = new URL(path, (r.urls[0] ?? '').replace('http', 'ws'));
        const c = await connectShell(url, token).catch(() => null);
        return c && 'client' in c ? c.client : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Opened, or an end (an error before it fails here at once rather than after a minute's wait).
    const first = await eventually(
      'the shell opened or ended',
      () => Promise.resolve(client.controls.find((c) => c.type === 'opened' || c.type === 'closed')),
      { timeoutMs: 60_000 },
    );
    expect(first, JSON.stringify(client.controls)).toMatchObject({ type: 'opened' });
    const opened = first;
    client.type('echo "alive-$((6 * 7))"\n');
    await client.waitFor('alive-42');
    return { client, pod: nodeShellPodName(String(opened.sessionId)) };
  };
  /** Milliseconds until the namespace holds no pod (Kubernetes' count), failing past the bound. */
  const goneAfter = async (since: number, bound = BOUND_MS): Promise<number> => {
    await eventually('no node-shell pod left in Kubernetes', async () => (await podNames()).length === 0, {
      timeoutMs: bound,
      intervalMs: 100,
    });
    return Date.now() - since;
  };

  beforeAll(async () => {
    ns = await testNamespace('nodesh-kill');
    appNs = await testNamespace('nodesh-kill-app');
    await core.createNamespacedPod({
      namespace: appNs,
      body: { metadata: { name: 'app' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    await apps.createNamespacedDeployment({
      namespace: appNs,
      body: {
        metadata: { name: 'logger' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'logger' } },
          template: {
            metadata: { labels: { app: 'logger' } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          },
        },
      },
    });
    web = createServer((req, res) => {
      reachedWeb.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`pod answered ${req.url}`);
    });
    await new Promise<void>((done) => web?.listen(0, '127.0.0.1', done));
    await custom.createNamespacedCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      namespace: appNs,
      plural: 'portforwards',
      body: {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'PortForward',
        metadata: { name: 'app', namespace: appNs },
        spec: {
          forwards: [{ ports: [8080], target: { address: '127.0.0.1', port: (web.address() as AddressInfo).port } }],
        },
      },
    });
    r = await startReplicas({
      count: 1,
      args: ['--replica-heartbeat', '3s'],
      seed: async (db) => {
        ({ token, agentToken } = await seedAdminAndCluster(db, 'admin', CLUSTER));
      },
    });
    agent = startAgent();
  }, 120_000);

  afterAll(async () => {
    await agent?.kill9();
    await r.stop();
    await new Promise((done) => web?.close(done));
  });

  it('agent killed with SIGKILL: the pod outlives it, and the restarted agent deletes it at once', async () => {
    const { client, pod } = await openShell();
    expect(await podNames()).toEqual([pod]);

    await agent?.kill9();
    // The hub notices the silent link (shell ping) and ends the session for the person.
    const closed = await client.waitControl('closed', 30_000);
    expect(closed.reason).toBe('agent-lost');
    // Nothing deleted the pod: the agent that made it is gone.
    expect(await podNames()).toEqual([pod]);

    const restarted = Date.now();
    agent = startAgent();
    let reapedAt = 0;
    void agent.waitForOutput(/reaping a node-shell pod/).then(
      () => (reapedAt = Date.now()),
      () => undefined,
    );
    const ms = await goneAfter(restarted, AGENT_RESTART_BOUND_MS);
    console.log(
      `[node-shell-kill] agent SIGKILL: pod gone ${ms} ms after the agent restarted (its reaper logged at ${reapedAt - restarted} ms)`,
    );
    expect(ms).toBeLessThan(AGENT_RESTART_BOUND_MS);
    // Once the new agent runs, its first reaper pass is what removes the pod: within moments of its log line.
    expect(reapedAt).toBeGreaterThan(0);
    expect(Date.now() - reapedAt).toBeLessThan(5_000);
  });

  it('hub killed with SIGKILL: the agent deletes the pod without waiting for it; after the restart a node shell works', async () => {
    const { pod } = await openShell();
    expect(await podNames()).toEqual([pod]);

    const killed = Date.now();
    await r.kill(0);
    const ms = await goneAfter(killed);
    console.log(`[node-shell-kill] hub SIGKILL: pod gone ${ms} ms after the kill`);
    expect(ms).toBeLessThan(BOUND_MS);

    // Restarted on the same address while the dead process's heartbeat is still fresh in the store: the
    // first node shell that gets through (503 until the agent is back) opens and runs, its output once.
    await r.restart(0);
    const again = await openShell();
    expect(again.client.output.split('alive-42').length - 1).toBe(1);
    expect(await podNames()).toEqual([again.pod]);
    again.client.type('exit 3\n');
    expect(await again.client.waitControl('exit')).toMatchObject({ code: 3 });
    expect(await again.client.waitControl('closed')).toMatchObject({ reason: 'closed' });
    await goneAfter(Date.now());
  });

  it('hub killed again: after the restart a pod shell, the first stream asked for, works too', async () => {
    // Pod shells (and log streams and object reads) reach the agent the same way (AgentLink.reach): the
    // same window after a restart, the same fix. A pod shell first, so the agent holds its link when killed.
    const path = shellPath(CLUSTER, appNs, 'app');
    const before = await openShell(path);
    await r.kill(0);
    expect(await before.client.closed).toBe(1006); // the hub is gone: no close frame
    await r.restart(0);
    const { client } = await openShell(path);
    expect(client.output.split('alive-42').length - 1).toBe(1);
    client.type('exit 4\n');
    expect(await client.waitControl('exit')).toMatchObject({ code: 4 });
    expect(await client.waitControl('closed')).toMatchObject({ reason: 'closed' });
  });

  /** A WebSocket upgrade refused: its status and body, as the error `eventually` names when it times out. */
  const refusal = (res: IncomingMessage, reject: (err: Error) => void): void => {
    let body = '';
    res.on('data', (c: Buffer) => (body += c.toString()));
    res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
  };
  /** The logger Deployment's merged logs (follow), once the restarted hub takes the stream. */
  const openWorkloadLogs = (): Promise<{ ws: WebSocket; messages: WorkloadLogsServerMessage[] }> =>
    eventually(
      'a workload log stream opened',
      () =>
        new Promise<{ ws: WebSocket; messages: WorkloadLogsServerMessage[] }>((resolve, reject) => {
          const url = new URL(workloadLogsPath(CLUSTER, appNs, 'Deployment', 'logger'), wsBase());
          url.searchParams.set('follow', 'true');
          url.searchParams.set('tailLines', '1');
          const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
          const messages: WorkloadLogsServerMessage[] = [];
          ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString('utf8')) as WorkloadLogsServerMessage));
          ws.once('open', () => resolve({ ws, messages }));
          // 503 until the agent is back on the new process (the refusal is named if it lasts).
          ws.once('unexpected-response', (_req, res) => refusal(res, reject));
          ws.once('error', reject);
        }),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  const wsBase = (): string => (r.urls[0] ?? '').replace('http', 'ws');
  /** A line appended to the pods' logs now, seen on the stream (the last line first: the stream is open). */
  const lineArrives = async (messages: WorkloadLogsServerMessage[]): Promise<string> => {
    const data = (): Extract<WorkloadLogsServerMessage, { type: 'data' }>[] =>
      messages.filter((m): m is Extract<WorkloadLogsServerMessage, { type: 'data' }> => m.type === 'data');
    // The tail line, or an end (which fails here at once, naming why, rather than after the wait).
    await eventually('the tail line', () => Promise.resolve(data().length > 0 || messages.length > 0), {
      timeoutMs: 30_000,
    });
    expect(data().length, JSON.stringify(messages)).toBeGreaterThan(0);
    const marker = `after-restart-${randomUUID()}`;
    await appendContainerLog([marker]);
    await eventually(`"${marker}" on the stream`, () => Promise.resolve(data().some((m) => m.text.includes(marker))), {
      timeoutMs: 30_000,
    });
    expect(messages.some((m) => m.type === 'end')).toBe(false);
    return data().find((m) => m.text.includes(marker))?.pod ?? '';
  };

  it('hub killed again: after the restart a whole-workload log stream, the first stream asked for, delivers lines', async () => {
    const before = await openWorkloadLogs();
    const pod = await lineArrives(before.messages);
    expect(pod).toMatch(/^logger-/);
    const closed = new Promise((done) => before.ws.once('close', done));
    await r.kill(0);
    await closed;
    await r.restart(0);
    const { ws, messages } = await openWorkloadLogs();
    expect(await lineArrives(messages)).toBe(pod);
    ws.close();
  });

  /**
   * One TCP connection to the pod's port 8080 through hub and agent, as `wheelhouse port-forward` makes it: an HTTP
   * request in, the whole answer back, then the client closes (the Kubernetes port-forward stream does not say that
   * the pod's side closed, so neither can the hub).
   */
  const forwardOnce = (path: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(new URL(portForwardPath(CLUSTER, appNs, 'app', 8080), wsBase()), {
        headers: { authorization: `Bearer ${token}` },
      });
      let bytes = '';
      const answer = `pod answered ${path}`;
      // An answer that never comes fails here, named, rather than as the test's timeout.
      const silent = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no answer within 15 s (bytes ${JSON.stringify(bytes)})`));
      }, 15_000);
      ws.once('open', () => ws.send(Buffer.from(`GET ${path} HTTP/1.0\r\nHost: pod\r\n\r\n`), { binary: true }));
      ws.on('message', (d: Buffer, binary) => {
        if (!binary) return reject(new Error(`ended: ${d.toString('utf8')} (bytes ${JSON.stringify(bytes)})`));
        bytes += d.toString('utf8');
        if (!bytes.endsWith(answer)) return;
        clearTimeout(silent);
        ws.close();
        resolve(bytes);
      });
      ws.once('unexpected-response', (_req, res) => refusal(res, reject)); // 503 until the agent is back
      ws.once('error', reject);
    });

  it('hub killed again: after the restart a port-forward, the first stream asked for, carries bytes to the pod and back', async () => {
    const before = await eventually('a forwarded connection', () => forwardOnce('/before'), { timeoutMs: 60_000 });
    expect(before).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await r.kill(0);
    await r.restart(0);
    // The CLI's WebSocket: the HTTP server behind kwok's PortForward answers through the new hub process.
    const after = await eventually('a forwarded connection after the restart', () => forwardOnce('/after-restart'), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect(after).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // The console's tab: POST …/portforward/http, then /pf/<token>/ through the same process.
    const opened = await fetch(`${r.urls[0]}/api/v1/clusters/${CLUSTER}/pods/${appNs}/app/portforward/http`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ port: 8080 }),
    });
    expect(opened.status, await opened.clone().text()).toBe(201);
    const { url } = (await opened.json()) as { url: string };
    const page = await fetch(`${r.urls[0]}${url}tab`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('pod answered /tab');
    expect(reachedWeb).toEqual(['GET /before', 'GET /after-restart', 'GET /tab']);
  });
});
