// Timeline ingest into the hub's SQLite store, the hub's real path (issue 18:
// ≥ 100,000 events/s and ≥ 0.7× the bare rate): 'timeline' messages of
// --batch events (500, the agent's) handed in by --links agent links at once
// (8), each link with up to MAX_PIPELINED messages in flight as agent-link.ts
// allows, through the group commit (IngestBatcher.submitTimeline) and the
// writer thread (store/sqlite-writer.ts), each message's stored events built
// for the live feed after its commit — beside the baseline the issue names: a
// bare batched INSERT of the run's rows in ONE transaction, same schema
// (every index), same durability (WAL, synchronous=FULL). Events with ids of
// the agent's form (timeline-ingest-events.ts). Also reported: the hub
// thread's event-loop delay p99 during the hub's runs (what every socket of
// the hub waits), and the writer's transactions. What each index costs:
// bench/src/timeline-index-cost.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  IngestBatcher,
  MAX_PIPELINED,
  openDatabase,
  TimelineStore,
  timelineWriter,
  walCheckpointer,
  type HubDb,
} from '@wheelhouse/hub';
import type { TimelineEventInput } from '@wheelhouse/protocol';
import type { Benchmark } from '../harness.js';
import { bareSqliteInsert, ingestEvents, type IngestSizes } from './timeline-ingest-events.js';
import { addBenchCluster } from '../bench-cluster.js';

export function timelineIngestBenchmark(sizes: IngestSizes = {}): Promise<Benchmark> {
  const perRun = sizes.events ?? 40_000;
  const batch = sizes.batch ?? 500; // the agent's batch size
  const links = sizes.links ?? 8;
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-ingest-'));
  let db: HubDb | undefined;
  let raw: BetterSqlite3.Database | undefined;
  let batcher: IngestBatcher | undefined;
  let insertRaw: ((rows: TimelineEventInput[]) => void) | undefined;
  let n = 0;
  let published = 0;
  /** WAL checkpoints the hub's thread ran (to rewind the WAL), and the longest (ms). */
  const loopCheckpoints = { n: 0, maxMs: 0 };
  // Per hub run, its event-loop delay p99 and max (ms): a monitor re-enabled would count the pause between runs.
  const delays: { p99: number; max: number }[] = [];
  /** The longest the -wal file was during the hub's runs (bytes; sampled every 5 ms). */
  let walPeak = 0;
  /** One run through the hub's path: link l sends messages l, l + links, …; at most MAX_PIPELINED in flight each. */
  const ingestRun = async (evs: TimelineEventInput[]): Promise<void> => {
    const ingest = batcher;
    if (!ingest) return;
    const messages = Math.ceil(evs.length / batch);
    const monitor = monitorEventLoopDelay({ resolution: 1 });
    monitor.enable();
    const ckpt = db && walCheckpointer(db);
    const walWatch = setInterval(() => (walPeak = Math.max(walPeak, ckpt?.walBytes() ?? 0)), 5);
    await Promise.all(
      Array.from({ length: links }, async (_, l) => {
        const key = {};
        const cluster = `bench-${l}`;
        const inFlight = new Set<Promise<void>>();
        for (let m = l; m < messages; m += links) {
          const events = evs.slice(m * batch, (m + 1) * batch);
          const p: Promise<void> = ingest
            .submitTimeline(
              {
                cluster,
                events,
                bytes: 400 * events.length,
                after: (stored) => {
                  published += stored.length;
                },
              },
              key,
            )
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
          // As agent-link.ts: the link reads its next message only once fewer than MAX_PIPELINED are out.
          while (inFlight.size >= MAX_PIPELINED) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      }),
    );
    clearInterval(walWatch);
    monitor.disable();
    delays.push({ p99: monitor.percentile(99) / 1e6, max: monitor.max / 1e6 });
  };
  return Promise.resolve({
    name: 'timeline-ingest',
    description: `timeline ingest into SQLite, ${perRun.toLocaleString('en-US')} events per run: 'timeline' messages of ${batch} from ${links} links (≤ ${MAX_PIPELINED} in flight each) through the hub's group commit and writer thread vs a bare INSERT of the run in one transaction`,
    rounds: 10,
    warmup: 1,
    throughput: { units: perRun, unit: 'events' },
    setup: async () => {
      db = await openDatabase({
        dataDir: join(dir, 'hub'),
        ...(sizes.noWriter
          ? { timelineWriter: false as const }
          : sizes.writerRows
            ? { timelineWriter: { maxRows: sizes.writerRows } }
            : {}),
      });
      for (let l = 0; l < links; l++) await addBenchCluster(db, `bench-${l}`);
      walCheckpointer(db)?.on('checkpoint', (by, seconds) => {
        if (by !== 'hub') return;
        loopCheckpoints.n++;
        loopCheckpoints.maxMs = Math.max(loopCheckpoints.maxMs, seconds * 1000);
      });
      batcher = new IngestBatcher(db, {}, undefined, undefined, {
        store: new TimelineStore(db),
        writer: timelineWriter(db),
      });
      // The baseline writes the same schema, in its own copy, with the same durability settings.
      const base = await openDatabase({ dataDir: join(dir, 'raw'), timelineWriter: false });
      await addBenchCluster(base);
      await base.destroy();
      raw = new BetterSqlite3(join(dir, 'raw', 'hub.db'));
      raw.pragma('journal_mode = WAL');
      raw.pragma('synchronous = FULL');
      insertRaw = bareSqliteInsert(raw);
    },
    teardown: async () => {
      await db?.destroy();
      raw?.close();
      rmSync(dir, { recursive: true, force: true });
    },
    // Each run's events are made first and only the ingest is timed (samples): making 40,000 events takes
    // ~150 ms of the one thread, during which the writer thread would sit idle.
    subject: {
      label: sizes.noWriter ? 'hub: links → group commit (no writer)' : 'hub: links → group commit → writer thread',
      run: async () => {
        await ingestRun(ingestEvents(n++, perRun));
      },
      samples: async () => {
        const evs = ingestEvents(n++, perRun);
        const t0 = performance.now();
        await ingestRun(evs);
        return [performance.now() - t0];
      },
    },
    baseline: {
      label: 'bare INSERT, the run in one transaction',
      run: () => {
        insertRaw?.(ingestEvents(n++, perRun));
        return Promise.resolve();
      },
      samples: () => {
        const evs = ingestEvents(n++, perRun);
        const t0 = performance.now();
        insertRaw?.(evs);
        return Promise.resolve([performance.now() - t0]);
      },
    },
    notes: () => {
      const w = db ? timelineWriter(db) : undefined;
      const stats = w?.stats;
      return [
        `hub event-loop delay during each hub run (warm-up included): p99 median ${median(delays.map((d) => d.p99)).toFixed(1)} ms, worst ${Math.max(...delays.map((d) => d.p99)).toFixed(1)} ms; longest stall ${Math.max(...delays.map((d) => d.max)).toFixed(1)} ms`,
        stats
          ? `writer thread: ${stats.commits} transactions, ${Math.round(stats.rows / Math.max(1, stats.commits))} rows each on average${stats.fallback ? `; FELL BACK: ${stats.fallback}` : ''}`
          : 'no writer thread',
        `WAL checkpoints on the hub's thread (to rewind the WAL): ${loopCheckpoints.n}, longest ${loopCheckpoints.maxMs.toFixed(1)} ms; longest -wal file during the hub runs ${(walPeak / 2 ** 20).toFixed(1)} MiB`,
        `events published after their commit: ${published.toLocaleString('en-US')}`,
      ];
    },
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
