#!/usr/bin/env node
// node bench/dist/src/notification-pass-cost.js [--events N] [--new N] [--rounds N]:
// what one pass of the notification dispatcher costs the hub's event loop on
// SQLite, with a rule in place and --events (default 300,000) timeline events
// of other types in a scratch store (a day old, as a busy cluster's history
// is). Each round appends --new (default 100) events, as between two passes,
// and times, alternating which goes first:
//   before — the statement the pass ran until issue 18's change (type IN …
//            AND (seq > cursor OR time > now − 30 s) ORDER BY seq LIMIT 500),
//            alone, over the hub's connection;
//   after  — a whole pass of the hub's own dispatcher (hub.notifications.tick):
//            rules, the newest seq, the new events by a rowid range.
// SQLite runs on the event loop (better-sqlite3 is synchronous), so wall time
// is the time the hub answers nothing else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { createHub } from '@wheelhouse/hub';
import { NotificationRuleInput } from '@wheelhouse/protocol';
import { bareSqliteInsert, ingestEvents } from './benchmarks/timeline-ingest-events.js';
import { addBenchCluster } from './bench-cluster.js';

const { values } = parseArgs({
  options: { events: { type: 'string' }, new: { type: 'string' }, rounds: { type: 'string' } },
});
const total = Number(values.events ?? 300_000);
const fresh = Number(values.new ?? 100);
const rounds = Number(values.rounds ?? 10);
for (const [name, n] of Object.entries({ events: total, new: fresh, rounds }))
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);

const TYPES = ['insight-opened', 'insight-resolved', 'action', 'access'];

const dir = mkdtempSync(join(tmpdir(), 'wh-notify-pass-'));
try {
  const hub = await createHub({
    dataDir: dir,
    logger: false,
    webRoot: false,
    notifications: { intervalMs: 3_600_000 },
  });
  try {
    await addBenchCluster(hub.db);
    const raw = new BetterSqlite3(join(dir, 'hub.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    const insert = bareSqliteInsert(raw);
    const dayAgo = Date.now() - 86_400_000;
    for (let run = 0; run * 10_000 < total; run++) {
      const n = Math.min(10_000, total - run * 10_000);
      insert(ingestEvents(run, n).map((e, i) => ({ ...e, time: dayAgo + run * 10_000 + i })));
    }
    const made = await hub.notificationRules.create(
      'bench',
      NotificationRuleInput.parse({ name: 'bench', events: ['insight-opened'], url: 'http://127.0.0.1:9/hook' }),
    );
    if (!made.ok) throw new Error('the rule was refused');
    await hub.notifications.tick(); // the cursor: the timeline's end, stored
    const newest = (): number =>
      (raw.prepare('SELECT max(seq) AS seq FROM timeline_events').get() as { seq: number }).seq;
    let run = 1_000;
    const before = async (): Promise<number> => {
      const cursor = newest();
      insert(ingestEvents(run++, fresh));
      const now = Date.now();
      const t = performance.now();
      await hub.db
        .selectFrom('timeline_events')
        .selectAll()
        .where('type', 'in', TYPES)
        .where((eb) => eb.or([eb('seq', '>', cursor), eb('time', '>', now - 30_000)]))
        .orderBy('seq')
        .limit(500)
        .execute();
      return performance.now() - t;
    };
    const after = async (): Promise<number> => {
      insert(ingestEvents(run++, fresh));
      const t = performance.now();
      await hub.notifications.tick();
      return performance.now() - t;
    };
    const times: Record<'before' | 'after', number[]> = { before: [], after: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? ([after, before] as const) : ([before, after] as const);
      for (const f of order) times[f === before ? 'before' : 'after'].push(await f());
    }
    raw.close();
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    console.log(`notification pass, SQLite, ${total} events + ${fresh} new per pass, ${rounds} rounds (ms):`);
    for (const k of ['before', 'after'] as const)
      console.log(
        `  ${k.padEnd(6)} median ${median(times[k]).toFixed(2)}  runs ${times[k].map((x) => x.toFixed(2)).join(' ')}`,
      );
  } finally {
    await hub.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
