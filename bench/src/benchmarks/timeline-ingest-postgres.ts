// Timeline ingest into PostgreSQL: the hub's TimelineStore on a PostgreSQL
// store (Kysely, dedupe by event id, RETURNING the new rows, one transaction
// per agent batch) beside a bare batched multi-row INSERT … ON CONFLICT DO
// NOTHING of the same rows through one pg connection, one transaction per
// batch — the floor any PostgreSQL-backed path stands on. Both write the same
// migrated schema (indexes included) on a throw-away server with fsync on.
import { openDatabase, TimelineStore, type HubDb } from '@wheelhouse/hub';
import { createDatabase, postgresUrl, startPostgres, type PostgresServer } from '@wheelhouse/test-postgres';
import pg from 'pg';
import type { Benchmark } from '../harness.js';
import { ingestEvents, type IngestSizes } from './timeline-ingest-events.js';
import { addBenchCluster } from '../bench-cluster.js';

const COLUMNS = [
  'id',
  'cluster_id',
  'time',
  'type',
  'severity',
  'kind',
  'namespace',
  'name',
  'owner_kind',
  'owner_name',
  'summary',
  'data',
] as const;

export function timelineIngestPostgresBenchmark(sizes: IngestSizes = {}): Promise<Benchmark> {
  const perRun = sizes.events ?? 10_000;
  const batch = sizes.batch ?? 500;
  let server: PostgresServer | undefined;
  let db: HubDb | undefined;
  let store: TimelineStore | undefined;
  let raw: pg.Client | undefined;
  let n = 0;
  return Promise.resolve({
    name: 'timeline-ingest-postgres',
    description: `timeline ingest into PostgreSQL 15, ${perRun.toLocaleString('en-US')} events per run in batches of ${batch}: hub TimelineStore vs bare batched INSERT`,
    rounds: 10,
    warmup: 1,
    throughput: { units: perRun, unit: 'events' },
    setup: async () => {
      server = await startPostgres();
      const hubUrl = postgresUrl(server, await createDatabase(server, 'bench_hub'));
      const rawDb = await createDatabase(server, 'bench_raw');
      db = await openDatabase({ store: hubUrl, storePassword: server.password });
      await addBenchCluster(db);
      store = new TimelineStore(db);
      // The baseline's database gets the same migrated schema and indexes.
      const base = await openDatabase({ store: postgresUrl(server, rawDb), storePassword: server.password });
      await addBenchCluster(base);
      await base.destroy();
      raw = new pg.Client({ ...server, database: rawDb });
      await raw.connect();
    },
    teardown: async () => {
      await db?.destroy();
      await raw?.end();
      await server?.stop();
    },
    subject: {
      label: 'hub TimelineStore.insert (PostgreSQL)',
      run: async () => {
        const evs = ingestEvents(n++, perRun);
        for (let i = 0; i < evs.length; i += batch) await store?.insert('bench', evs.slice(i, i + batch));
      },
    },
    baseline: {
      label: 'bare pg multi-row INSERT',
      run: async () => {
        const client = raw;
        if (!client) return;
        const evs = ingestEvents(n++, perRun);
        for (let i = 0; i < evs.length; i += batch) {
          const rows = evs.slice(i, i + batch);
          const values: unknown[] = [];
          const tuples = rows.map((e, r) => {
            values.push(
              e.id,
              'bench',
              e.time,
              e.type,
              e.severity,
              e.kind,
              e.namespace,
              e.name,
              e.owner?.kind ?? null,
              e.owner?.name ?? null,
              e.summary,
              JSON.stringify(e.data),
            );
            return `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(',')})`;
          });
          await client.query('BEGIN');
          await client.query(
            `INSERT INTO timeline_events (${COLUMNS.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT DO NOTHING`,
            values,
          );
          await client.query('COMMIT');
        }
      },
    },
  });
}
