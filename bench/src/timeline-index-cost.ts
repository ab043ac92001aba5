#!/usr/bin/env node
// node bench/dist/src/timeline-index-cost.js [--events N] [--batch N] [--rounds N] [--tuned]:
// what each timeline_events index costs an ingest — the bare batched INSERT of
// the timeline-ingest benchmark (same rows, hub schema, WAL, synchronous=FULL)
// into a scratch store with every index, with none, with all but one, in
// turn, with the dedupe key of before migration 023, (cluster_id, id), and
// with the index on time alone that migration 024 dropped.
// Per variant: WAL frames (pages) written per commit, CPU µs and wall
// time per event. Counted with automatic checkpoints off and a checkpoint
// between rounds (not timed), so a frame is counted once; the hub checkpoints
// every 1,000 pages, which adds to every variant. --tuned: the bare connection
// also takes the settings the hub's connections apply (SQLITE_CONNECTION_PRAGMAS:
// page cache, mmap), for the baseline with and without them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, SQLITE_CONNECTION_PRAGMAS } from '@wheelhouse/hub';
import { bareSqliteInsert, ingestEvents } from './benchmarks/timeline-ingest-events.js';
import { addBenchCluster } from './bench-cluster.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    batch: { type: 'string' },
    rounds: { type: 'string' },
    tuned: { type: 'boolean' },
  },
});
const perRound = Number(values.events ?? 10_000);
const batch = Number(values.batch ?? 500);
const rounds = Number(values.rounds ?? 10);
for (const [name, n] of Object.entries({ events: perRound, batch, rounds }))
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);

/** A scratch store migrated like the hub's, with one cluster; its file. */
async function scratchStore(dir: string): Promise<string> {
  const db = await openDatabase({ dataDir: dir });
  await addBenchCluster(db);
  await db.destroy();
  return join(dir, 'hub.db');
}

interface Cost {
  framesPerCommit: number;
  cpuUsPerEvent: number;
  eventsPerSecond: number;
}

/** Ingests rounds × perRound events (after one warm-up round) with only `keep` of the indexes, plus `extra` DDL. */
function measure(file: string, all: string[], keep: string[], extra: string[] = []): Cost {
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  if (values.tuned) for (const p of SQLITE_CONNECTION_PRAGMAS) raw.pragma(p);
  raw.pragma('wal_autocheckpoint = 0');
  for (const ix of all) if (!keep.includes(ix)) raw.exec(`DROP INDEX ${ix}`);
  for (const ddl of extra) raw.exec(ddl);
  const tx = bareSqliteInsert(raw);
  let frames = 0;
  let cpuUs = 0;
  let ms = 0;
  for (let r = 0; r <= rounds; r++) {
    const evs = ingestEvents(r, perRound);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < evs.length; i += batch) tx(evs.slice(i, i + batch));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const [wal] = raw.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    raw.pragma('wal_checkpoint(TRUNCATE)');
    if (r === 0) continue; // warm-up
    frames += wal?.log ?? 0;
    cpuUs += cpu.user + cpu.system;
    ms += wall;
  }
  raw.close();
  const events = rounds * perRound;
  return {
    framesPerCommit: frames / (rounds * Math.ceil(perRound / batch)),
    cpuUsPerEvent: cpuUs / events,
    eventsPerSecond: (events / ms) * 1000,
  };
}

const root = mkdtempSync(join(tmpdir(), 'wh-index-cost-'));
try {
  const probe = new BetterSqlite3(await scratchStore(join(root, 'probe')), { readonly: true });
  const indexes = (
    probe
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'timeline_events' AND sql IS NOT NULL",
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
  probe.close();
  const variants: [string, string[], string[]?][] = [
    ['every index', indexes],
    [
      'every index, dedupe (cluster_id, id)',
      indexes.filter((x) => x !== 'timeline_dedupe_by_object'),
      ['CREATE UNIQUE INDEX timeline_dedupe ON timeline_events (cluster_id, id)'],
    ],
    [
      'every index, and (time) (before 024)',
      indexes,
      ['CREATE INDEX timeline_by_event_time ON timeline_events (time)'],
    ],
    ['no index', []],
    ...indexes.map((ix): [string, string[]] => [`all but ${ix}`, indexes.filter((x) => x !== ix)]),
  ];
  console.log(
    `# timeline_events indexes, bare INSERT of ${perRound.toLocaleString('en-US')} events × ${rounds} rounds in batches of ${batch} (WAL, ${values.tuned ? SQLITE_CONNECTION_PRAGMAS.join(', ') : 'synchronous=FULL'})`,
  );
  console.log('variant'.padEnd(40), 'WAL pages/commit', ' CPU µs/event', ' events/s');
  for (const [i, [label, keep, extra]] of variants.entries()) {
    const cost = measure(await scratchStore(join(root, `v${i}`)), indexes, keep, extra);
    console.log(
      label.padEnd(40),
      cost.framesPerCommit.toFixed(0).padStart(16),
      cost.cpuUsPerEvent.toFixed(1).padStart(13),
      Math.round(cost.eventsPerSecond).toLocaleString('en-US').padStart(9),
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
