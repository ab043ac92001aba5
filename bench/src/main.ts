#!/usr/bin/env node
// npm run bench [-- <name>... --rounds N --events N --batch N --links N --writer-rows N --pods N,N --nodes N --commands N --history N,N]:
// runs the named benchmarks (all by default) and prints each side by side with
// its baseline and the ratio. --events/--batch size the ingest benchmarks
// (SQLite and PostgreSQL), --links/--writer-rows timeline-ingest's agent links and its writer thread's rows per
// transaction (--no-writer: without the writer thread, the path before it); --pods the console-pods, console-pods-restart, console-pods-jump and list-at sizes (one run per size), --nodes its node count; --commands the
// replicas-commands one; --history the console-timeline and console-audit
// sizes (events of one workload / audit records, one run per size); --agents, --browsers,
// --rate (inventory changes/s in total) and --seconds (of load per phase) the fan-in one.
import { parseArgs } from 'node:util';
import { formatResult, runBenchmark, type Benchmark } from './harness.js';
import { agentSyncBenchmark } from './benchmarks/agent-sync.js';
import { listPodsBenchmark } from './benchmarks/list-pods.js';
import { execGuardWebhookBenchmark } from './benchmarks/exec-guard-webhook.js';
import { timelineIngestBenchmark } from './benchmarks/timeline-ingest.js';
import type { IngestSizes } from './benchmarks/timeline-ingest-events.js';
import { timelineIngestPostgresBenchmark } from './benchmarks/timeline-ingest-postgres.js';
import { shellEchoBenchmark } from './benchmarks/shell-echo.js';
import { scaleLatencyBenchmark } from './benchmarks/scale-latency.js';
import { consoleRenderBenchmark } from './benchmarks/console-render.js';
import { scopedInventoryBenchmark } from './benchmarks/scoped-inventory.js';
import { replicasCommandsBenchmark, replicasLiveBenchmark, type ReplicaSizes } from './benchmarks/replicas.js';
import { fanInBenchmark, type FanInSizes } from './benchmarks/fan-in.js';
import { DEFAULT_NODE_COUNT, DEFAULT_POD_COUNTS, consolePodsBenchmark } from './benchmarks/console-pods.js';
import { consoleRestartBenchmark } from './benchmarks/console-restart.js';
import { consoleJumpBenchmark } from './benchmarks/console-jump.js';
import { listAtBenchmark } from './benchmarks/list-at.js';
import {
  DEFAULT_HISTORY_SIZES,
  consoleAuditBenchmark,
  consoleTimelineBenchmark,
} from './benchmarks/console-history.js';

const sizes: IngestSizes = {};
let podCounts = DEFAULT_POD_COUNTS;
let nodeCount = DEFAULT_NODE_COUNT;
let historySizes = DEFAULT_HISTORY_SIZES;
const replicaSizes: ReplicaSizes = {};
const fanInSizes: FanInSizes = {};

/** A benchmark, or one per size (each built, run and torn down in turn). */
type Entry = () => Promise<Benchmark> | (() => Promise<Benchmark>)[];

const registry: Record<string, Entry> = {
  'list-pods': listPodsBenchmark,
  'exec-guard-webhook': execGuardWebhookBenchmark,
  'timeline-ingest': () => timelineIngestBenchmark(sizes),
  'timeline-ingest-postgres': () => timelineIngestPostgresBenchmark(sizes),
  'agent-sync': agentSyncBenchmark,
  'shell-echo': shellEchoBenchmark,
  'scale-latency': scaleLatencyBenchmark,
  'console-render': consoleRenderBenchmark,
  'scoped-inventory': scopedInventoryBenchmark,
  'console-pods': () => podCounts.map((n) => () => consolePodsBenchmark(n, nodeCount)),
  'console-pods-restart': () => podCounts.map((n) => () => consoleRestartBenchmark(n, nodeCount)),
  'console-pods-jump': () => podCounts.map((n) => () => consoleJumpBenchmark(n, nodeCount)),
  'list-at': () =>
    podCounts.flatMap((n) => (['sqlite', 'postgres'] as const).map((s) => () => listAtBenchmark(n, s, nodeCount))),
  'replicas-commands': () => replicasCommandsBenchmark(replicaSizes),
  'replicas-live': replicasLiveBenchmark,
  'console-timeline': () => historySizes.map((n) => () => consoleTimelineBenchmark(n)),
  'console-audit': () => historySizes.map((n) => () => consoleAuditBenchmark(n)),
  'fan-in': () => fanInBenchmark(fanInSizes),
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      list: { type: 'boolean' },
      events: { type: 'string' },
      batch: { type: 'string' },
      links: { type: 'string' },
      'writer-rows': { type: 'string' },
      'no-writer': { type: 'boolean' },
      pods: { type: 'string' },
      nodes: { type: 'string' },
      commands: { type: 'string' },
      history: { type: 'string' },
      agents: { type: 'string' },
      browsers: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  if (values.pods !== undefined) {
    podCounts = values.pods.split(',').map(Number);
    if (podCounts.some((n) => !Number.isInteger(n) || n < 1))
      throw new Error('--pods must be positive integers, comma-separated');
  }
  if (values.nodes !== undefined) {
    nodeCount = Number(values.nodes);
    if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 9999)
      throw new Error('--nodes must be an integer from 1 to 9,999');
  }
  if (values.history !== undefined) {
    historySizes = values.history.split(',').map(Number);
    if (historySizes.some((n) => !Number.isInteger(n) || n < 100))
      throw new Error('--history must be integers of at least 100, comma-separated');
  }
  if (values.commands !== undefined) {
    const num = Number(values.commands);
    if (!Number.isInteger(num) || num < 1) throw new Error('--commands must be a positive integer');
    replicaSizes.commands = num;
  }
  for (const key of ['agents', 'browsers', 'rate', 'seconds'] as const) {
    const v = values[key];
    if (v === undefined) continue;
    const num = Number(v);
    if (!Number.isInteger(num) || num < 1) throw new Error(`--${key} must be a positive integer`);
    fanInSizes[key] = num;
  }
  for (const [flag, key] of [
    ['events', 'events'],
    ['batch', 'batch'],
    ['links', 'links'],
    ['writer-rows', 'writerRows'],
  ] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    const num = Number(v);
    if (!Number.isInteger(num) || num < 1) throw new Error(`--${flag} must be a positive integer`);
    sizes[key] = num;
  }
  if (values['no-writer']) sizes.noWriter = true;
  if (values.list) {
    for (const name of Object.keys(registry)) console.log(name);
    return;
  }
  const names = positionals.length > 0 ? positionals : Object.keys(registry);
  const unknown = names.filter((n) => !(n in registry));
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(registry).join(', ')}`);
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1))
    throw new Error('--rounds must be a positive integer');
  for (const name of names) {
    const entry = registry[name];
    if (!entry) continue;
    const made = entry();
    for (const make of Array.isArray(made) ? made : [() => made]) {
      const bench = await make();
      console.log(`\n# ${bench.description}`);
      console.log(formatResult(await runBenchmark(bench, rounds ?? bench.rounds)));
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
