// Hub fan-in (issue 18): N simulated agents (default 100), each its own
// cluster on one hub, replay a recording of a real agent on the local kwok
// cluster (fan-in/record.ts; bench/fixtures/fan-in-recording.jsonl.gz) —
// snapshot on connect, then its changes at a total rate (default 1,000
// inventory changes/s, split evenly) — while M browser live sockets (default
// 500, spread evenly over the clusters, the admin's real session) watch.
// Samples: per browser receipt, the time from the agent's send of a change
// message to that browser's receipt of it (p50 shown as "median", and p99).
// Notes: hub CPU (process.cpuUsage of the hub process, from its /metrics)
// and memory per 1,000 changes/s, the load average, and what browsers
// missed — with and without the overflow notice (without must be 0).
// Baseline: the same hub with 1 agent at the same total rate and the same
// browsers per cluster (M/N), so both send the same changes to browsers the
// same number of times: what differs is the number of links and clusters.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from '../harness.js';
import { DEFAULT_RECORDING } from '../fan-in/record.js';
import { startHubProcess, type HubFigures, type HubProcess } from '../fan-in/hub-process.js';
import { SimAgent, SimBrowser, drive, loadRecording, type Recording } from '../fan-in/replay.js';

export interface FanInSizes {
  agents?: number;
  browsers?: number;
  /** Inventory changes per second, over all agents. */
  rate?: number;
  /** Seconds of load per phase. */
  seconds?: number;
  recording?: string;
}

export interface PhaseReport {
  agents: number;
  browsers: number;
  /** Inventory changes sent per second, as achieved. */
  rate: number;
  latencies: number[];
  /** Hub CPU, percent of one core, from the first change sent until every browser has the last (a hub that lags works on after the sends). */
  hubCpuPercent: number;
  /** Hub CPU-seconds spent per 1,000 changes over that window (= % of a core per 1,000 changes/s ÷ 100). */
  hubCpuPer1k: number;
  /** Seconds from the first change sent until every browser had the last. */
  drainedAfter: number;
  idle: HubFigures;
  peak: { rssBytes: number; heapUsedBytes: number; walBytes: number };
  /** SQLite WAL checkpoints over the window: by the hub's worker thread, and on its event loop (rewinds). */
  walCheckpoints: { worker: number; hub: number };
  /** This (bench) process's CPU over the load window, percent of one core: the clients' own load. */
  clientCpuPercent: number;
  expected: number;
  received: number;
  covered: number;
  uncovered: number;
  overflows: number;
  /** What the hub counted as dropped for slow sockets during the phase. */
  hubDropped: number;
  load: number[];
}

/** With FANIN_HEAP_DIR: when each stage of a phase began (epoch ms, marks.txt there), for fan-in/gc-summary.js. */
function mark(what: string): void {
  const dir = process.env.FANIN_HEAP_DIR;
  if (dir) appendFileSync(join(dir, 'marks.txt'), `${Date.now()} ${what}\n`);
}

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** Agents connect and send their snapshot, browsers subscribe, then `seconds` of changes at `rate`. */
export async function runPhase(
  hub: HubProcess,
  clusters: { name: string; token: string }[],
  rec: Recording,
  o: { agents: number; browsers: number; rate: number; seconds: number },
): Promise<PhaseReport> {
  const agents = clusters.slice(0, o.agents).map((c) => new SimAgent(hub.url, c.token, c.name, rec));
  if (agents.length < o.agents) throw new Error(`only ${clusters.length} clusters registered`);
  const latencies: number[] = [];
  const browsers = Array.from(
    { length: o.browsers },
    (_, j) => new SimBrowser(hub.url, hub.cookie, (agents[j % agents.length] as SimAgent).ledger, latencies),
  );
  try {
    mark(`${o.agents} agents: connecting`);
    await inBatches(browsers, 50, (b) => b.connect());
    await inBatches(agents, 20, (a) => a.connect());
    latencies.length = 0;
    mark(`${o.agents} agents: connected`);
    const idle = await hub.figures();
    const peak = { rssBytes: idle.rssBytes, heapUsedBytes: idle.heapUsedBytes, walBytes: idle.walBytes };
    const sampler = setInterval(() => {
      hub.figures().then(
        (f) => {
          peak.rssBytes = Math.max(peak.rssBytes, f.rssBytes);
          peak.heapUsedBytes = Math.max(peak.heapUsedBytes, f.heapUsedBytes);
          peak.walBytes = Math.max(peak.walBytes, f.walBytes);
        },
        () => undefined,
      );
    }, 2000);
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    let sent: number;
    let t1: number;
    let t2: number;
    let end: HubFigures;
    let after: HubFigures;
    let client: NodeJS.CpuUsage;
    try {
      sent = await drive(agents, o.rate, o.seconds);
      t1 = performance.now();
      mark(`${o.agents} agents: sends done`);
      // FANIN_HEAP_SNAPSHOT=1 (with FANIN_HEAP_DIR): the hub's live objects while its queues are fullest (the snapshot stalls the hub for seconds).
      hub.heapSnapshot();
      end = await hub.figures();
      client = process.cpuUsage(client0);
      // Everything sent is handled by the hub (its link queues drained), then every browser has it (or the wait ends).
      await Promise.all(agents.map((a) => a.settled(600_000)));
      const deadline = performance.now() + 30_000;
      while (!browsers.every((b) => b.caughtUp()) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      t2 = performance.now();
      mark(`${o.agents} agents: drained`);
      after = await hub.figures();
    } finally {
      clearInterval(sampler);
    }
    for (const b of browsers) b.finish();
    const seconds = (t1 - t0) / 1000;
    const sum = (f: (b: SimBrowser) => number): number => browsers.reduce((n, b) => n + f(b), 0);
    return {
      agents: o.agents,
      browsers: o.browsers,
      rate: sent / seconds,
      latencies: [...latencies],
      hubCpuPercent: ((after.cpuSeconds - idle.cpuSeconds) / ((t2 - t0) / 1000)) * 100,
      hubCpuPer1k: ((after.cpuSeconds - idle.cpuSeconds) / sent) * 1000,
      drainedAfter: (t2 - t0) / 1000,
      idle,
      peak: {
        rssBytes: Math.max(peak.rssBytes, end.rssBytes, after.rssBytes),
        heapUsedBytes: Math.max(peak.heapUsedBytes, end.heapUsedBytes, after.heapUsedBytes),
        walBytes: Math.max(peak.walBytes, end.walBytes, after.walBytes),
      },
      walCheckpoints: {
        worker: after.walCheckpoints.worker - idle.walCheckpoints.worker,
        hub: after.walCheckpoints.hub - idle.walCheckpoints.hub,
      },
      clientCpuPercent: ((client.user + client.system) / 1e6 / seconds) * 100,
      expected: sum((b) => b.ledger.unitsBetween(1, b.ledger.lastSeq)),
      received: sum((b) => b.tally.received),
      covered: sum((b) => b.tally.covered),
      uncovered: sum((b) => b.tally.uncovered),
      overflows: sum((b) => b.tally.overflows),
      hubDropped: after.liveDropped - idle.liveDropped,
      load: loadavg(),
    };
  } finally {
    for (const b of browsers) b.close();
    await Promise.all(agents.map((a) => a.close()));
  }
}

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;

export function describePhase(label: string, r: PhaseReport): string[] {
  const per1k = r.rate / 1000;
  return [
    `${label}: ${r.agents} agent${r.agents === 1 ? '' : 's'}, ${r.browsers} browser sockets, ${Math.round(r.rate).toLocaleString('en-US')} changes/s sent`,
    `  hub CPU ${r.hubCpuPercent.toFixed(0)}% of a core until the browsers had everything (${r.drainedAfter.toFixed(0)} s), ` +
      `${(r.hubCpuPer1k * 100).toFixed(0)}% of a core per 1,000 changes/s; ` +
      `RSS ${mb(r.idle.rssBytes)} idle → ${mb(r.peak.rssBytes)} peak (+${mb((r.peak.rssBytes - r.idle.rssBytes) / per1k)} per 1,000 changes/s); ` +
      `heap ${mb(r.idle.heapUsedBytes)} → ${mb(r.peak.heapUsedBytes)} peak`,
    `  SQLite WAL: ${r.walCheckpoints.worker} checkpoints by the worker thread, ${r.walCheckpoints.hub} on the event loop (rewinds); ` +
      `-wal file ≤ ${mb(r.peak.walBytes)} (sampled every 2 s; 0/0 = a hub that checkpoints inside commits)`,
    `  browsers: ${r.received.toLocaleString('en-US')} of ${r.expected.toLocaleString('en-US')} changes received; ` +
      `${r.covered} missed behind ${r.overflows} overflow notices; ${r.uncovered} missed WITHOUT a notice ` +
      `(hub counted ${r.hubDropped} live messages dropped)`,
    `  bench process (clients) CPU ${r.clientCpuPercent.toFixed(0)}% of a core; load average ${r.load.map((l) => l.toFixed(2)).join(' ')}`,
  ];
}

export function fanInBenchmark(sizes: FanInSizes = {}): Promise<Benchmark> {
  const agents = sizes.agents ?? 100;
  const browsers = sizes.browsers ?? 500;
  const rate = sizes.rate ?? 1000;
  const seconds = sizes.seconds ?? 30;
  const perCluster = Math.max(1, Math.round(browsers / agents));
  const rec = loadRecording(sizes.recording ?? DEFAULT_RECORDING);
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-fanin-'));
  let hub: HubProcess | undefined;
  const clusters: { name: string; token: string }[] = [];
  const reports: string[] = [];
  const phase = async (label: string, n: number, m: number): Promise<number[]> => {
    if (!hub) throw new Error('no hub');
    const h = hub;
    const r = await runPhase(h, clusters, rec, { agents: n, browsers: m, rate, seconds }).catch((err: unknown) => {
      throw new Error(
        `${label} phase: ${err instanceof Error ? err.message : String(err)}\nhub output:\n${h.output().slice(-3000)}`,
      );
    });
    reports.push(...describePhase(label, r));
    if (r.uncovered > 0) reports.push(`  FAIL: ${r.uncovered} changes dropped without the overflow notice`);
    return r.latencies;
  };
  return Promise.resolve({
    name: 'fan-in',
    description:
      `hub fan-in: ${agents} agents replaying a recorded kwok cluster at ${rate.toLocaleString('en-US')} changes/s in total, ` +
      `${browsers} browser live sockets; agent send → browser receipt vs 1 agent (same total rate, ${perCluster} sockets)`,
    rounds: 1,
    warmup: 0,
    setup: async () => {
      const prof = process.env.FANIN_CPU_PROF;
      hub = await startHubProcess(join(dir, 'hub'), prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []);
      for (let i = 0; i < agents; i++) {
        const name = `fanin-${i}`;
        clusters.push({ name, token: await hub.addCluster(name) });
      }
    },
    teardown: async () => {
      await hub?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    notes: () => reports,
    subject: {
      label: `${agents} agents → ${browsers} sockets`,
      run: async () => {
        await phase('subject', agents, browsers);
      },
      samples: () => phase('subject', agents, browsers),
    },
    baseline: {
      label: `1 agent → ${perCluster} sockets`,
      run: async () => {
        await phase('baseline', 1, perCluster);
      },
      samples: () => phase('baseline', 1, perCluster),
    },
  });
}
