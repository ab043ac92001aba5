// Pod shell: keystroke echo round trip through hub + agent (client WebSocket →
// hub → agent link → agent → kube-apiserver exec → kwok) beside a direct exec
// WebSocket to the API server from the same machine. Both run `stty raw -echo;
// cat` in a pod, so each byte sent comes straight back. The hub and the agent
// run as their own processes, as deployed (shell-party.ts); this process is
// the client. The notes add bulk throughput (20 MB of output) relay vs direct,
// each process's CPU during it and the agent's frame and flow-control counts.
// BENCH_SHELL_WINDOW=bytes sets the hub's output window (default
// SHELL_OUTPUT_WINDOW); BENCH_CPU_PROF=<dir> writes a CPU profile of the hub
// and the agent when they stop.
import { fork, type ChildProcess } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { fullKubeConfig, loadKubeConfig } from '@wheelhouse/agent';
import { shellPath } from '@wheelhouse/protocol';
import { up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';
import type { PartyUsage } from './shell-party.js';

const NS = 'bench-shell';
const POD = 'echo';
const ECHO = ['sh', '-c', 'stty raw -echo; exec cat'];
const BULK_BYTES = 20_000_000;
const BULK = ['sh', '-c', `head -c ${BULK_BYTES} /dev/zero`];
const BULK_RUNS = 3;

/** A byte stream that answers "wait until N more bytes have arrived". */
class Stream {
  private received = 0;
  private waiter: { until: number; resolve: () => void } | null = null;
  constructor(
    readonly send: (b: Buffer) => void,
    readonly close: () => void,
  ) {}
  onBytes(n: number): void {
    this.received += n;
    if (this.waiter && this.received >= this.waiter.until) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve();
    }
  }
  wait(more: number): Promise<void> {
    const until = this.received + more;
    if (this.received >= until) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { until, resolve }));
  }
  get total(): number {
    return this.received;
  }
}

async function relayStream(
  url: string,
  token: string,
  cluster: string,
  command: string[],
  done?: () => void,
): Promise<Stream> {
  const u = new URL(shellPath(cluster, NS, POD), url.replace('http', 'ws'));
  for (const c of command) u.searchParams.append('command', c);
  const ws = new WebSocket(u, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const s = new Stream(
    (b) => ws.send(b, { binary: true }),
    () => ws.close(),
  );
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) s.onBytes(buf.length);
      else if (buf.toString().includes('"opened"')) resolve();
    });
    ws.once('error', reject);
    ws.once('close', () => done?.());
  });
  return s;
}

async function directStream(kc: k8s.KubeConfig, command: string[], done?: () => void): Promise<Stream> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const u = new URL(`/api/v1/namespaces/${NS}/pods/${POD}/exec`, server);
  u.protocol = 'wss:';
  for (const c of command) u.searchParams.append('command', c);
  for (const [k, v] of Object.entries({
    container: 'app',
    stdin: 'true',
    stdout: 'true',
    stderr: 'false',
    tty: 'true',
  }))
    u.searchParams.set(k, v);
  const opts: WebSocket.ClientOptions = { perMessageDeflate: false };
  await kc.applyToHTTPSOptions(opts);
  const ws = new WebSocket(u, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], opts);
  const s = new Stream(
    (b) => ws.send(Buffer.concat([Buffer.from([0]), b])),
    () => ws.close(),
  );
  ws.on('message', (data) => {
    const buf = data as Buffer;
    if (buf[0] === 1 || buf[0] === 2) s.onBytes(buf.length - 1);
  });
  ws.once('close', () => done?.());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return s;
}

/**
 * One bulk run: seconds and bytes received. kwok's TTY exec drops the tail of
 * the output still in the pty when the process exits (direct exec too), so
 * throughput is bytes received over time, not a fixed size.
 */
interface Party {
  child: ChildProcess;
  /** The next message of this type. */
  next: <T>(type: string) => Promise<T>;
  usage: () => Promise<PartyUsage>;
  stop: () => Promise<void>;
}

function startParty(args: string[], env: Record<string, string> = {}): Party {
  const prof = process.env.BENCH_CPU_PROF;
  const child = fork(new URL('./shell-party.js', import.meta.url), args, {
    env: { ...process.env, ...env },
    execArgv: prof ? ['--cpu-prof', '--cpu-prof-dir', prof, '--cpu-prof-name', `shell-${args[0]}.cpuprofile`] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (m: unknown) => void>();
  child.on('message', (m: { type: string; message?: string }) => {
    const w = waiting.get(m.type);
    waiting.delete(m.type);
    w?.(m);
  });
  const next = <T>(type: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null): void => reject(new Error(`shell ${args[0]} process exited (${code})`));
      child.once('exit', exited);
      waiting.set(type, (m) => {
        child.off('exit', exited);
        resolve(m as T);
      });
    });
  return {
    child,
    next,
    usage: async () => {
      const r = next<{ usage: PartyUsage }>('usage');
      child.send({ type: 'usage' });
      return (await r).usage;
    },
    stop: async () => {
      if (child.exitCode !== null || !child.connected) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

interface Run {
  secs: number;
  bytes: number;
  /** CPU of one core used during the run: this client, the hub, the agent. */
  cpu: { client: number; hub: number; agent: number };
}

async function bulkRun(open: (done: () => void) => Promise<Stream>, hub: Party, agent: Party): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const [h0, a0] = await Promise.all([hub.usage(), agent.usage()]);
  const t0 = process.hrtime.bigint();
  let s: Stream | null = null;
  await new Promise<void>((resolve) => {
    void open(resolve).then((x) => (s = x));
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const used = process.cpuUsage(cpu0);
  const [h1, a1] = await Promise.all([hub.usage(), agent.usage()]);
  const bytes = (s as Stream | null)?.total ?? 0;
  if (bytes < BULK_BYTES / 2) throw new Error(`bulk run received only ${bytes} of ${BULK_BYTES} bytes`);
  return {
    secs,
    bytes,
    cpu: {
      client: (used.user + used.system) / 1e6 / secs,
      hub: (h1.cpuMicros - h0.cpuMicros) / 1e6 / secs,
      agent: (a1.cpuMicros - a0.cpuMicros) / 1e6 / secs,
    },
  };
}

export async function shellEchoBenchmark(): Promise<Benchmark> {
  const cluster = await up();
  const kc = await fullKubeConfig(loadKubeConfig(cluster.kubeconfig));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let hub: Party | null = null;
  let agent: Party | null = null;
  let relay: Stream | null = null;
  let direct: Stream | null = null;
  const notes: string[] = [];

  return {
    name: 'shell-echo',
    description:
      'pod shell keystroke echo round trip: client → hub → agent → exec vs a direct exec WebSocket to kube-apiserver',
    rounds: 300,
    warmup: 20,
    setup: async () => {
      // A previous run's namespace may still be terminating (its teardown deletes it): wait until it is gone.
      for (let i = 0; ; i++) {
        const ns = await core.readNamespace({ name: NS }).catch(() => null);
        if (ns?.status?.phase !== 'Terminating') break;
        if (i > 600) throw new Error(`namespace ${NS} never finished terminating`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
      await core
        .createNamespacedPod({
          namespace: NS,
          body: { metadata: { name: POD }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
        })
        .catch(() => undefined);
      hub = startParty(['hub', NS, POD]);
      const listening = hub.next<{ url: string; agentToken: string; token: string }>('listening');
      const { url, agentToken, token } = await listening;
      const podRunning = hub.next<{ type: string }>('ready');
      agent = startParty(['agent'], {
        BENCH_HUB_URL: url,
        BENCH_AGENT_TOKEN: agentToken,
        BENCH_KUBECONFIG: cluster.kubeconfig,
      });
      await agent.next('ready');
      await podRunning;
      const h = hub;
      const ag = agent;
      // Bulk throughput, each way twice, interleaved.
      const runs = { relay: [] as Run[], direct: [] as Run[] };
      for (let i = 0; i < BULK_RUNS; i++) {
        runs.relay.push(await bulkRun((done) => relayStream(url, token, 'bench', BULK, done), h, ag));
        runs.direct.push(await bulkRun((done) => directStream(kc, BULK, done), h, ag));
      }
      const st0 = (await ag.usage()).shell ?? {
        outputFrames: 0,
        outputBytes: 0,
        outputPauses: 0,
        maxInFlightBytes: 0,
      };
      const rates = (r: Run[]): number[] => r.map((x) => x.bytes / 1e6 / x.secs).sort((a, b) => a - b);
      const mbps = (r: Run[]): number => rates(r)[Math.floor(r.length / 2)] ?? 0;
      const best = (r: Run[]): number => Math.max(...rates(r));
      const pct = (x: number): string => `${Math.round(x * 100)}%`;
      const cpu = (r: Run[]): string =>
        r.map((x) => `client ${pct(x.cpu.client)} hub ${pct(x.cpu.hub)} agent ${pct(x.cpu.agent)}`).join('; ');
      notes.push(
        `bulk ~${BULK_BYTES / 1e6} MB output: relay ${mbps(runs.relay).toFixed(1)} MB/s, direct ${mbps(runs.direct).toFixed(1)} MB/s, ratio relay/direct ${(mbps(runs.relay) / mbps(runs.direct)).toFixed(2)} (median of ${BULK_RUNS} each, interleaved; best: relay ${best(runs.relay).toFixed(1)}, direct ${best(runs.direct).toFixed(1)}, ratio ${(best(runs.relay) / best(runs.direct)).toFixed(2)})`,
        `agent: ${st0.outputFrames} output frames, ${Math.round(st0.outputBytes / Math.max(1, st0.outputFrames))} bytes each on average; output credit ran out ${st0.outputPauses} times; most in flight ${st0.maxInFlightBytes} bytes`,
        `CPU during the bulk runs (share of one core, per process): relay: ${cpu(runs.relay)} | direct: ${cpu(runs.direct)}`,
      );
      relay = await relayStream(url, token, 'bench', ECHO);
      direct = await directStream(kc, ECHO);
      // Let `stty raw -echo` take effect before measuring.
      await new Promise((r) => setTimeout(r, 500));
    },
    teardown: async () => {
      relay?.close();
      direct?.close();
      await agent?.stop();
      await hub?.stop();
      await core.deleteNamespace({ name: NS }).catch(() => undefined);
    },
    subject: {
      label: 'hub + agent relay',
      run: async () => {
        const s = relay;
        if (!s) throw new Error('not set up');
        const got = s.wait(1);
        s.send(Buffer.from('x'));
        await got;
      },
    },
    baseline: {
      label: 'direct exec WebSocket',
      run: async () => {
        const s = direct;
        if (!s) throw new Error('not set up');
        const got = s.wait(1);
        s.send(Buffer.from('x'));
        await got;
      },
    },
    notes: () => notes,
  };
}
