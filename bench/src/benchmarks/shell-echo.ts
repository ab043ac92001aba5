// Pod shell: keystroke echo round trip through hub + agent (client WebSocket →
// hub → agent link → agent → kube-apiserver exec → kwok) beside a direct exec
// WebSocket to the API server from the same machine. Both run `stty raw -echo;
// cat` in a pod, so each byte sent comes straight back. The hub and the agent
// run as their own processes, as deployed (shell-party.ts); this process is
// the client. The notes add bulk throughput (20 MB of output) relay vs direct:
// one warm-up run each way (not counted: JIT and connections), then 5 each,
// interleaved with the first side alternating, each timed from its first output
// byte to its last (opening the session is reported apart: it is not the
// stream's rate); each process's CPU during it, the local cluster's and the
// rest of the machine's (other work sharing it); the agent's frame and
// flow-control counts; and the GC pauses of hub and agent during the echo rounds.
// BENCH_SHELL_WINDOW=bytes sets the hub's output window (default
// SHELL_OUTPUT_WINDOW); BENCH_CPU_PROF=<dir> writes a CPU profile of the hub
// and the agent when they stop.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { fullKubeConfig, loadKubeConfig } from '@wheelhouse/agent';
import { shellPath } from '@wheelhouse/protocol';
import { up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';
import type { PartyUsage } from './shell-party.js';

const NS = 'bench-shell';
const POD = 'echo';
/** BENCH_SHELL_RECORD=1: the relay's echo rounds run in a recorded session (a default hub records every shell). */
const RECORD = process.env.BENCH_SHELL_RECORD === '1';
/** The namespace of the relay's echo session: recorded by the hub's policy there when RECORD. */
const ECHO_NS = RECORD ? 'bench-shell-rec' : NS;
const ECHO = ['sh', '-c', 'stty raw -echo; exec cat'];
const BULK_BYTES = 20_000_000;
const BULK = ['sh', '-c', `head -c ${BULK_BYTES} /dev/zero`];
const BULK_RUNS = 5;

/** A byte stream that answers "wait until N more bytes have arrived". */
class Stream {
  private received = 0;
  private waiter: { until: number; resolve: () => void } | null = null;
  /** performance.now() of the first and the latest output bytes (bulk throughput is timed between them). */
  firstAt = 0;
  lastAt = 0;
  constructor(
    readonly send: (b: Buffer) => void,
    readonly close: () => void,
  ) {}
  onBytes(n: number): void {
    const now = performance.now();
    if (this.received === 0) this.firstAt = now;
    this.lastAt = now;
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
  ns = NS,
): Promise<Stream> {
  const u = new URL(shellPath(cluster, ns, POD), url.replace('http', 'ws'));
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
  /** From the first output byte to the last: the stream's rate, not the session's opening. */
  secs: number;
  bytes: number;
  /** From the request to the first output byte (opening the session; reported apart). */
  openMs: number;
  /**
   * CPU during the run, in cores: this client, the hub, the agent, the local cluster's processes
   * (kube-apiserver, kwok, etcd …) and everything else on the machine (other work sharing it).
   */
  cpu: { client: number; hub: number; agent: number; cluster: number; others: number };
  /** Seconds from the request to the end (the CPU shares above are over this). */
  wall: number;
  /** The kernel's part of the relay's CPU (hub + agent + client): socket copies and loopback TCP. */
  relaySys: number;
}

const TICK = 100; // USER_HZ: /proc reports CPU time in 1/100 s

/** Busy CPU seconds of the whole machine, from /proc/stat (null where there is none). */
function machineBusy(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = f.slice(0, 8).reduce((x, y) => x + y, 0);
    return (total - (f[3] ?? 0) - (f[4] ?? 0)) / TICK; // less idle and iowait
  } catch {
    return null;
  }
}

/** The pids whose command line names `dir` (the local cluster's control plane and kwok). */
function pidsUnder(dir: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(dir);
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds used so far by these pids. */
function pidsCpu(pids: readonly number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      t += (Number(rest[11]) + Number(rest[12])) / TICK; // utime, stime
    } catch {
      // gone
    }
  }
  return t;
}

async function bulkRun(
  open: (done: () => void) => Promise<Stream>,
  hub: Party,
  agent: Party,
  clusterPids: readonly number[],
): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const [h0, a0] = await Promise.all([hub.usage(), agent.usage()]);
  const m0 = machineBusy();
  const c0 = pidsCpu(clusterPids);
  const t0 = performance.now();
  let s: Stream | null = null;
  await new Promise<void>((resolve) => {
    void open(resolve).then((x) => (s = x));
  });
  const wall = (performance.now() - t0) / 1000;
  const m1 = machineBusy();
  const c1 = pidsCpu(clusterPids);
  const used = process.cpuUsage(cpu0);
  const [h1, a1] = await Promise.all([hub.usage(), agent.usage()]);
  const st = s as Stream | null;
  const bytes = st?.total ?? 0;
  if (!st || bytes < BULK_BYTES / 2) throw new Error(`bulk run received only ${bytes} of ${BULK_BYTES} bytes`);
  const client = (used.user + used.system) / 1e6;
  const hubCpu = (h1.cpuMicros - h0.cpuMicros) / 1e6;
  const agentCpu = (a1.cpuMicros - a0.cpuMicros) / 1e6;
  const cluster = c1 - c0;
  const sys = (used.system + h1.sysMicros - h0.sysMicros + a1.sysMicros - a0.sysMicros) / 1e6;
  const others = m0 === null || m1 === null ? NaN : Math.max(0, m1 - m0 - client - hubCpu - agentCpu - cluster);
  return {
    secs: (st.lastAt - st.firstAt) / 1000,
    bytes,
    openMs: st.firstAt - t0,
    wall,
    relaySys: sys / Math.max(1e-9, client + hubCpu + agentCpu),
    cpu: {
      client: client / wall,
      hub: hubCpu / wall,
      agent: agentCpu / wall,
      cluster: cluster / wall,
      others: others / wall,
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
  const gcBefore: { hub?: PartyUsage['gc']; agent?: PartyUsage['gc'] } = {};

  return {
    name: 'shell-echo',
    description:
      'pod shell keystroke echo round trip: client → hub → agent → exec vs a direct exec WebSocket to kube-apiserver',
    rounds: 300,
    warmup: 20,
    setup: async () => {
      for (const name of new Set([NS, ECHO_NS])) {
        // A previous run's namespace may still be terminating (its teardown deletes it): wait until it is gone.
        for (let i = 0; ; i++) {
          const ns = await core.readNamespace({ name }).catch(() => null);
          if (ns?.status?.phase !== 'Terminating') break;
          if (i > 600) throw new Error(`namespace ${name} never finished terminating`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await core.createNamespace({ body: { metadata: { name } } }).catch(() => undefined);
        await core
          .createNamespacedPod({
            namespace: name,
            body: { metadata: { name: POD }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
          })
          .catch(() => undefined);
      }
      hub = startParty(['hub', NS, POD, ...(RECORD ? [ECHO_NS] : [])]);
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
      // Bulk throughput: one run each way to warm up (JIT, connections; not counted), then BULK_RUNS each,
      // interleaved, which side goes first alternating, so drift in the machine's load hits both alike.
      const clusterPids = pidsUnder(`${dirname(cluster.kubeconfig)}/`);
      const relayRun = (): Promise<Run> =>
        bulkRun((done) => relayStream(url, token, 'bench', BULK, done), h, ag, clusterPids);
      const directRun = (): Promise<Run> => bulkRun((done) => directStream(kc, BULK, done), h, ag, clusterPids);
      const warm = { relay: await relayRun(), direct: await directRun() };
      const stWarm = (await ag.usage()).shell ?? {
        outputFrames: 0,
        outputBytes: 0,
        outputPauses: 0,
        outputPausedMs: 0,
        maxInFlightBytes: 0,
      };
      const runs = { relay: [] as Run[], direct: [] as Run[] };
      for (let i = 0; i < BULK_RUNS; i++) {
        if (i % 2 === 0) {
          runs.relay.push(await relayRun());
          runs.direct.push(await directRun());
        } else {
          runs.direct.push(await directRun());
          runs.relay.push(await relayRun());
        }
      }
      const st = (await ag.usage()).shell ?? stWarm;
      const frames = st.outputFrames - stWarm.outputFrames;
      const rate = (x: Run): number => x.bytes / 1e6 / x.secs;
      const sorted = (r: Run[]): number[] => r.map(rate).sort((a, b) => a - b);
      const median = (xs: number[]): number => {
        const m = Math.floor(xs.length / 2);
        return xs.length % 2 ? (xs[m] ?? 0) : ((xs[m - 1] ?? 0) + (xs[m] ?? 0)) / 2;
      };
      const mbps = (r: Run[]): number => median(sorted(r));
      const best = (r: Run[]): number => Math.max(...sorted(r));
      const pct = (x: number): string => `${Math.round(x * 100)}%`;
      const cpu = (r: Run[]): string =>
        r
          .map(
            (x) =>
              `client ${pct(x.cpu.client)} hub ${pct(x.cpu.hub)} agent ${pct(x.cpu.agent)} cluster ${pct(x.cpu.cluster)} others ${pct(x.cpu.others)}`,
          )
          .join('; ');
      const each = (r: Run[]): string => r.map((x) => rate(x).toFixed(1)).join(', ');
      // CPU seconds per MB: what each side costs the machine, whatever share of it the run got.
      const perMb = (r: Run[], part: (x: Run) => number): string =>
        ((r.reduce((t, x) => t + part(x) * x.wall, 0) / r.reduce((t, x) => t + x.bytes / 1e6, 0)) * 1000).toFixed(1);
      const ours = (x: Run): number => x.cpu.client + x.cpu.hub + x.cpu.agent;
      notes.push(
        `bulk ~${BULK_BYTES / 1e6} MB output: relay ${mbps(runs.relay).toFixed(1)} MB/s, direct ${mbps(runs.direct).toFixed(1)} MB/s, ratio relay/direct ${(mbps(runs.relay) / mbps(runs.direct)).toFixed(2)} (median of ${BULK_RUNS} each after one warm-up each, interleaved, first output byte to last; best: relay ${best(runs.relay).toFixed(1)}, direct ${best(runs.direct).toFixed(1)}, ratio ${(best(runs.relay) / best(runs.direct)).toFixed(2)})`,
        `bulk runs, MB/s in order: relay ${each(runs.relay)} | direct ${each(runs.direct)}; warm-up (not counted): relay ${rate(warm.relay).toFixed(1)}, direct ${rate(warm.direct).toFixed(1)}; to the first byte, median: relay ${median(runs.relay.map((x) => x.openMs).sort((a, b) => a - b)).toFixed(0)} ms, direct ${median(runs.direct.map((x) => x.openMs).sort((a, b) => a - b)).toFixed(0)} ms`,
        `agent: ${frames} output frames, ${Math.round((st.outputBytes - stWarm.outputBytes) / Math.max(1, frames))} bytes each on average; output credit ran out ${st.outputPauses - stWarm.outputPauses} times, paused ${st.outputPausedMs - stWarm.outputPausedMs} ms in all (of ${Math.round(runs.relay.reduce((t, x) => t + x.secs, 0) * 1000)} ms of relay output); most in flight ${st.maxInFlightBytes} bytes`,
        `CPU ms per MB: relay: client + hub + agent ${perMb(runs.relay, ours)} (kernel ${pct(median(runs.relay.map((x) => x.relaySys).sort((a, b) => a - b)))} of it), cluster ${perMb(runs.relay, (x) => x.cpu.cluster)} | direct: client ${perMb(runs.direct, ours)}, cluster ${perMb(runs.direct, (x) => x.cpu.cluster)}`,
        `CPU during the bulk runs (cores; "cluster" is the local control plane and kwok, "others" the rest of the machine): relay: ${cpu(runs.relay)} | direct: ${cpu(runs.direct)}`,
      );
      relay = await relayStream(url, token, 'bench', ECHO, undefined, ECHO_NS);
      if (RECORD) notes.push(`echo rounds: the relay's session is recorded (BENCH_SHELL_RECORD=1, store on disk)`);
      direct = await directStream(kc, ECHO);
      // Let `stty raw -echo` take effect before measuring.
      await new Promise((r) => setTimeout(r, 500));
      [gcBefore.hub, gcBefore.agent] = (await Promise.all([h.usage(), ag.usage()])).map((u) => u.gc);
    },
    teardown: async () => {
      // The harness prints the notes after teardown: the echo rounds' GC pauses in hub and agent go last.
      if (hub && agent && gcBefore.hub && gcBefore.agent) {
        const [h1, a1] = (await Promise.all([hub.usage(), agent.usage()])).map((u) => u.gc);
        const gcs = (b: PartyUsage['gc'], a: PartyUsage['gc'] | undefined): string =>
          `${(a?.count ?? 0) - b.count} (${((a?.ms ?? 0) - b.ms).toFixed(1)} ms in all, longest ${(a?.maxMs ?? 0).toFixed(1)} ms)`;
        notes.push(`GC pauses during the echo rounds: hub ${gcs(gcBefore.hub, h1)}, agent ${gcs(gcBefore.agent, a1)}`);
      }
      relay?.close();
      direct?.close();
      await agent?.stop();
      await hub?.stop();
      for (const name of new Set([NS, ECHO_NS])) await core.deleteNamespace({ name }).catch(() => undefined);
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
