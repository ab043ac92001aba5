#!/usr/bin/env node
// node bench/dist/src/retention-batches.js [events]: how long retention's
// single batches take on each store — the longest is how long a purge can hold
// SQLite's one connection (or a PostgreSQL connection) before other queries
// get their turn. N old events are purged by age, then N new ones are capped
// to 1 MB; each pass prints its report (batches, longestBatchMs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, Retention, TimelineStore, type HubDb } from '@wheelhouse/hub';
import type { TimelineEventInput } from '@wheelhouse/protocol';
import { createDatabase, postgresUrl, startPostgres } from '@wheelhouse/test-postgres';
import { addBenchCluster } from './bench-cluster.js';

const N = Number(process.argv[2] ?? 20_000);
if (!Number.isInteger(N) || N < 500) throw new Error('events must be an integer ≥ 500');

const events = (prefix: string, from: number, time: number): TimelineEventInput[] =>
  Array.from({ length: 500 }, (_, k) => ({
    id: `${prefix}${from + k}`,
    time: time + from + k,
    type: 'pod-phase' as const,
    severity: 'info' as const,
    kind: 'Pod',
    namespace: 'ns',
    name: `p${from + k}`,
    summary: 'Pod p: Pending → Running/Ready',
    data: { from: 'Pending', to: 'Running/Ready', phase: 'Running', ready: true, nodeName: 'n' },
  }));

async function measure(kind: string, db: HubDb): Promise<void> {
  await addBenchCluster(db, 'c');
  const timeline = new TimelineStore(db);
  const old = Date.now() - 100 * 86_400_000;
  for (let i = 0; i < N; i += 500) await timeline.insert('c', events('old', i, old));
  const age = await new Retention(db, { timelineMaxAgeMs: 86_400_000 }).run();
  for (let i = 0; i < N; i += 500) await timeline.insert('c', events('new', i, Date.now()));
  const size = await new Retention(db, { timelineMaxBytes: 1_000_000 }).run();
  for (const [what, r] of [
    ['age purge', age],
    ['size cap 1 MB', size],
  ] as const) {
    console.log(
      `${kind.padEnd(10)} ${what.padEnd(14)} deleted ${String(r.timelineDeleted).padStart(7)} in ${r.batches} batches, longest ${r.longestBatchMs.toFixed(1)} ms`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'wh-bench-retention-'));
const server = await startPostgres();
try {
  console.log(`# retention batches, ${N.toLocaleString('en-US')} timeline events, batches of 500`);
  const sqlite = await openDatabase({ dataDir: dir });
  await measure('sqlite', sqlite).finally(() => sqlite.destroy());
  const pg = await openDatabase({
    store: postgresUrl(server, await createDatabase(server, 'bench_retention')),
    storePassword: server.password,
  });
  await measure('postgres', pg).finally(() => pg.destroy());
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
