// Exec guard's CONNECT admission latency, side by side with a baseline: an
// HTTPS server on the same machine that parses the AdmissionReview and allows
// it without recording anything. Both run as their own processes; a loopback
// load generator (autocannon) drives them at fixed rates of 200 and 1000
// requests/s and reports p50/p99 (corrected for coordinated omission), then
// the harness measures unloaded, one-at-a-time latency. Exec guard does its
// real work on every request: it appends the interaction to its journal and
// fdatasyncs it (group commit) before answering; its worker applies it to a
// real pod on the local cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import * as k8s from '@kubernetes/client-node';
import { up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';

const RATES = [200, 1000];
const DURATION_S = Number(process.env.EXEC_GUARD_BENCH_SECONDS ?? 10);
const CONNECTIONS = 20;

// A trivial admission webhook: parse, allow. What any webhook costs at least.
const BASELINE = `
import { createServer } from 'node:https';
import { generate } from 'selfsigned';
const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const review = JSON.parse(body);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
  });
});
server.keepAliveTimeout = 30000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const agent = new Agent({ keepAlive: true, rejectUnauthorized: false });

function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let out = '';
      res.on('data', (c: Buffer) => (out += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let out = '';
      res.on('data', (c: Buffer) => (out += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    })
      .on('error', reject)
      .end();
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface RateResult {
  p50: number;
  p99: number;
  mean: number;
  rps: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, body: string, rate: number): Promise<RateResult> {
  const r = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    overallRate: rate,
    duration: DURATION_S,
  });
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.average,
    rps: r.requests.average,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

function review(ns: string, pod: string, i: number): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${i}`,
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'exec',
      name: pod,
      namespace: ns,
      operation: 'CONNECT',
      userInfo: { username: 'bench-user', groups: ['system:authenticated'] },
      object: {
        kind: 'PodExecOptions',
        apiVersion: 'v1',
        container: 'app',
        command: ['sh', '-c', 'echo hi'],
        stdout: true,
        stderr: true,
      },
    },
  });
}

export async function execGuardWebhookBenchmark(): Promise<Benchmark> {
  const cluster = await up();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ns = `bench-eg-${Math.random().toString(36).slice(2, 8)}`;
  const dir = await mkdtemp(join(tmpdir(), 'bench-eg-'));
  const children: ChildProcess[] = [];
  // BENCH_EXEC_GUARD_MAIN: another build's main.js, to measure two versions alternately in one sitting.
  const main =
    process.env.BENCH_EXEC_GUARD_MAIN ?? createRequire(import.meta.url).resolve('@wheelhouse/exec-guard/main');
  const guardPort = await freePort();
  const basePort = await freePort();
  const guardUrl = `https://127.0.0.1:${guardPort}/validate/connect`;
  const baseUrl = `https://127.0.0.1:${basePort}/validate`;
  const body = review(ns, 'target', 0);
  let n = 0;

  const cleanup = async (): Promise<void> => {
    const running = children.filter((c) => c.exitCode === null);
    const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of running) c.kill('SIGTERM');
    await Promise.all(exited);
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  return {
    name: 'exec-guard-webhook',
    description: `exec guard CONNECT admission (journal + fdatasync before answering) vs a parse-and-allow HTTPS webhook; fixed rates ${RATES.join(' and ')} req/s for ${DURATION_S}s each, then one at a time`,
    rounds: 300,
    warmup: 20,
    setup: async () => {
      await core.createNamespace({ body: { metadata: { name: ns } } });
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'target' },
          spec: { containers: [{ name: 'app', image: 'registry.local/demo:1.0' }] },
        },
      });
      await waitFor(
        'the target pod to run',
        async () => (await core.readNamespacedPod({ namespace: ns, name: 'target' })).status?.phase === 'Running',
      );
      // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of exec guard when it stops (what limits it).
      const prof = (name: string): string[] =>
        process.env.BENCH_CPU_PROF
          ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF, '--cpu-prof-name', `${name}.cpuprofile`]
          : [];
      const guard = spawn(
        process.execPath,
        [
          ...prof('exec-guard'),
          main,
          '--self-signed',
          '--host',
          '127.0.0.1',
          '--port',
          String(guardPort),
          '--kubeconfig',
          cluster.kubeconfig,
          '--namespaces',
          ns,
          '--ttl-seconds',
          '3600',
          '--data-dir',
          join(dir, 'data'),
          '--no-leader-elect',
          // One synthetic user sends every request: lift the per-user rate so each one is journaled (what is measured).
          '--rate-per-user',
          '1000000',
          '--rate-burst',
          '1000000',
          '--log-level',
          'error',
          '--ca-bundle-out',
          join(dir, 'ca.b64'),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const baseline = spawn(process.execPath, ['--input-type=module', '-e', BASELINE], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, PORT: String(basePort) },
        cwd: join(import.meta.dirname, '..', '..', '..'),
      });
      children.push(guard, baseline);
      try {
        await waitFor(
          'exec guard to be ready',
          async () => (await get(`https://127.0.0.1:${guardPort}/health/readiness`)).status === 200,
        );
        await waitFor('the baseline to answer', async () => (await post(baseUrl, body)).status === 200);
        // The first interaction labels the pod; the rest are repeated execs into it (the common case).
        await post(guardUrl, body);
        await waitFor('exec guard to label the target pod', async () => {
          const p = await core.readNamespacedPod({ namespace: ns, name: 'target' });
          return p.metadata?.labels?.['exec-guard.wheelhouse.dev/interaction-timestamp'] !== undefined;
        });
        const rows: string[] = [];
        const fmt = (x: number): string => x.toFixed(2).padStart(8);
        for (const rate of RATES) {
          // Alternate which goes first so drift in machine load hits both alike.
          const order = rate === RATES[0] ? (['guard', 'baseline'] as const) : (['baseline', 'guard'] as const);
          const res: Partial<Record<'guard' | 'baseline', RateResult>> = {};
          for (const who of order) res[who] = await load(who === 'guard' ? guardUrl : baseUrl, body, rate);
          const g = res.guard;
          const b = res.baseline;
          if (!g || !b) continue;
          for (const [label, r] of [
            ['exec guard', g],
            ['baseline parse-and-allow', b],
          ] as const) {
            rows.push(
              `  ${String(rate).padStart(5)} req/s  ${label.padEnd(26)} p50 ${fmt(r.p50)} ms   p99 ${fmt(r.p99)} ms   mean ${fmt(r.mean)} ms   achieved ${r.rps.toFixed(0).padStart(5)} req/s   non-2xx ${r.non2xx}  errors ${r.errors}`,
            );
          }
          rows.push(
            `  ${String(rate).padStart(5)} req/s  ratio exec guard / baseline: p50 ${(g.p50 / b.p50).toFixed(2)}x   p99 ${(g.p99 / b.p99).toFixed(2)}x`,
          );
        }
        const metrics = (await get(`https://127.0.0.1:${guardPort}/metrics`)).body;
        const recorded =
          /exec_guard_interactions_total\{operation="exec",outcome="recorded"\} (\d+)/.exec(metrics)?.[1] ?? '0';
        console.log(
          `\n# exec-guard-webhook at fixed rates (autocannon, ${CONNECTIONS} keep-alive connections, loopback)`,
        );
        console.log(rows.join('\n'));
        console.log(`  exec guard journaled ${recorded} interactions durably during the runs`);
      } catch (err) {
        await cleanup();
        throw err;
      }
    },
    teardown: cleanup,
    subject: {
      label: 'exec guard (one at a time)',
      run: async () => {
        const r = await post(guardUrl, review(ns, 'target', ++n));
        if (r.status !== 200) throw new Error(`exec guard answered ${r.status}: ${r.body}`);
      },
    },
    baseline: {
      label: 'parse-and-allow (one at a time)',
      run: async () => {
        const r = await post(baseUrl, review(ns, 'target', ++n));
        if (r.status !== 200) throw new Error(`baseline answered ${r.status}: ${r.body}`);
      },
    },
  };
}
