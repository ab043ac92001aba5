// Timeline ingest into the hub's SQLite store: the hub's TimelineStore (dedupe
// by object and event id, JSON data, indexes, the new events returned for the
// live feed) beside a bare prepared INSERT of the same rows into the same
// schema, one transaction per batch, same durability (WAL, synchronous=FULL) —
// the floor any SQLite-backed path stands on. Events with ids of the agent's
// form (timeline-ingest-events.ts). Sizes: --events per run, --batch. What
// each index costs: bench/src/timeline-index-cost.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, TimelineStore, type HubDb } from '@wheelhouse/hub';
import type { TimelineEventInput } from '@wheelhouse/protocol';
import type { Benchmark } from '../harness.js';
import { bareSqliteInsert, ingestEvents, type IngestSizes } from './timeline-ingest-events.js';
import { addBenchCluster } from '../bench-cluster.js';

export function timelineIngestBenchmark(sizes: IngestSizes = {}): Promise<Benchmark> {
  const perRun = sizes.events ?? 10_000;
  const batch = sizes.batch ?? 500; // the agent's batch size
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-ingest-'));
  let db: HubDb | undefined;
  let raw: BetterSqlite3.Database | undefined;
  let store: TimelineStore | undefined;
  let insertRaw: ((rows: TimelineEventInput[]) => void) | undefined;
  let n = 0;
  return Promise.resolve({
    name: 'timeline-ingest',
    description: `timeline ingest into SQLite, ${perRun.toLocaleString('en-US')} events per run in batches of ${batch}: hub TimelineStore vs bare prepared INSERT`,
    rounds: 10,
    warmup: 1,
    throughput: { units: perRun, unit: 'events' },
    setup: async () => {
      db = await openDatabase({ dataDir: join(dir, 'hub') });
      await addBenchCluster(db);
      store = new TimelineStore(db);
      // The baseline writes the same schema, in its own copy, with the same durability settings.
      const base = await openDatabase({ dataDir: join(dir, 'raw') });
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
    subject: {
      label: 'hub TimelineStore.insert',
      run: async () => {
        const evs = ingestEvents(n++, perRun);
        for (let i = 0; i < evs.length; i += batch) await store?.insert('bench', evs.slice(i, i + batch));
      },
    },
    baseline: {
      label: 'bare better-sqlite3 INSERT',
      run: () => {
        const evs = ingestEvents(n++, perRun);
        for (let i = 0; i < evs.length; i += batch) insertRaw?.(evs.slice(i, i + batch));
        return Promise.resolve();
      },
    },
  });
}
