// The hub's page at a list position (issue 18, helper brief "jumpto": a
// scrollbar dragged to 90 % of 100,000 pods asks `?at=90000`): N pods (--pods)
// seeded as console-pods seeds them, in SQLite (hub.db in a temporary
// directory) and in PostgreSQL 15 (a throw-away server, as the tests start
// it). Subject: the store's query at the position (the sort key of the row
// above it seeked over the sort's index alone, then the keyset page). Baseline,
// alternating in the same run: the same page as a plain `LIMIT 101 OFFSET n`
// over the rows (what `OFFSET` costs when each row skipped is read). Both read
// at positions 10 %, 50 % and 90 % of the list under the namespace and the age
// sorts; a round is all six pages, timed whole.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDatabase, postgresUrl, startPostgres, type PostgresServer } from '@wheelhouse/test-postgres';
import { createHub, type Hub } from '@wheelhouse/hub';
import type { Benchmark } from '../harness.js';
import { DEFAULT_NODE_COUNT, seedSyntheticCluster } from './console-pods.js';

const DEPTHS = [0.1, 0.5, 0.9];
/** The store's sort columns (PostgreSQL compares names bytewise only when told, as the store does). */
const sortsOf = (store: 'sqlite' | 'postgres') =>
  [
    {
      sort: 'namespace',
      order: store === 'postgres' ? sql`namespace, name COLLATE "C", uid` : sql`namespace, name, uid`,
    },
    { sort: 'age', order: sql`created_at, uid` },
  ] as const;

export function listAtBenchmark(
  pods: number,
  store: 'sqlite' | 'postgres',
  nodes = DEFAULT_NODE_COUNT,
): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-at-'));
  let server: PostgresServer | undefined;
  let hub: Hub | undefined;
  /** The subject's and the baseline's first rows at each position must agree (else the figure is of a wrong answer). */
  const check = (a: string | undefined, b: string | undefined, what: string): void => {
    if (a !== b) throw new Error(`${what}: at the position ${a ?? '?'}, by OFFSET ${b ?? '?'}`);
  };
  const SORTS = sortsOf(store);
  const atPosition = (sort: 'namespace' | 'age', at: number) =>
    hub?.inventory.query('bench', { kind: 'Pod', sort, order: 'asc', at, limit: 100 });
  const byOffset = (order: (typeof SORTS)[number]['order'], at: number) => {
    if (!hub) throw new Error('no hub');
    return sql<{
      name: string;
      data: string;
    }>`SELECT kind, namespace, name, uid, data, status, created_at FROM resources WHERE cluster_id = 'bench' AND kind = 'Pod' ORDER BY ${order} LIMIT 101 OFFSET ${at}`.execute(
      hub.db,
    );
  };

  return Promise.resolve({
    name: `list-at-${store}-${pods}`,
    description: `the hub's Pods page (101 rows) at 10/50/90 % of ${pods.toLocaleString('en-US')} pods under two sorts, ${store}: the sort key above seeked over the index, then the keyset (subject) vs a plain LIMIT … OFFSET over the rows (baseline); a round is the six pages`,
    rounds: 10,
    warmup: 1,
    setup: async () => {
      let options: Parameters<typeof createHub>[0] = { dataDir: dir, logger: false };
      if (store === 'postgres') {
        server = await startPostgres();
        const url = postgresUrl(server, await createDatabase(server, 'bench_at'));
        options = { store: url, storePassword: server.password, logger: false };
      }
      hub = await createHub(options);
      const t0 = Date.now();
      await seedSyntheticCluster(hub, pods, nodes);
      // Steady state: autovacuum would have run (an index-only scan reads the heap for pages the visibility map has not marked).
      if (store === 'postgres') await sql`VACUUM ANALYZE resources`.execute(hub.db);
      log(`seeded ${pods} pods in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // Both sides answer the same rows.
      for (const { sort, order } of SORTS)
        for (const d of DEPTHS) {
          const at = Math.floor(pods * d);
          const page = await atPosition(sort, at);
          const plain = await byOffset(order, at);
          check(
            page?.items.map((it) => it.name).join(),
            plain.rows
              .slice(0, 100)
              .map((r) => r.name)
              .join(),
            `${sort} ${at}`,
          );
        }
    },
    teardown: async () => {
      await hub?.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    subject: {
      label: `page at a position: index seek + keyset (${store})`,
      run: async () => {
        for (const { sort } of SORTS) for (const d of DEPTHS) await atPosition(sort, Math.floor(pods * d));
      },
    },
    baseline: {
      label: `page at a position: LIMIT … OFFSET over the rows (${store})`,
      run: async () => {
        for (const { order } of SORTS)
          for (const d of DEPTHS) {
            // The rows' JSON parsed, as the store's page parses them.
            const page = await byOffset(order, Math.floor(pods * d));
            for (const r of page.rows.slice(0, 100)) JSON.parse(r.data);
          }
      },
    },
  });
}
