// What a Service's "Used by" costs the hub (issue 18, helper brief "lists"):
// the pods its selector matches in a namespace of 5,000, of which 3 match,
// among the console-pods bench's synthetic cluster. Before: the console read
// the namespace's every pod (`?kind=Pod&namespace=…&sort=age&order=desc`,
// pages of 1,000 to the end) and matched the selector itself. After: it asks
// with `&selector=…` and the hub compares the labels in SQL over the
// namespace's index range. Each through GET …/resources as a viewer's bearer
// token (fastify's inject: the route, its JSON, no socket), bytes as sent.
// A broad selector too (tier=frontend: half the namespace, 3 pages).
// SQLite, then PostgreSQL (a server started for the run). On PostgreSQL also
// what its labels index (migration 025, helper brief "pglabels") costs and
// saves: its size, its build (what the migration takes on an existing store),
// and, in rounds alternating with the index and without it (dropped), the two
// selectors' reads and the writes an agent makes — the namespace's 5,000 pods
// changed in batches of 1,000 (a resync's chunks) and 200 one-pod changes.
//   node bench/dist/src/service-pods-cost.js [namespace pods, default 5000] [other pods, default 30000] [rounds, default 3]
import type pg from 'pg';
import type { InventoryItem } from '@wheelhouse/protocol';
import { createHub, type Hub, type HubOptions } from '@wheelhouse/hub';
import { benchToken } from './bench-token.js';
import { onBothStores } from './both-stores.js';
import { seedSyntheticCluster, syntheticPod } from './benchmarks/console-pods.js';
import { readPages } from './resource-pages.js';
import { storeClient } from './store-client.js';
import { summarize } from './stats.js';

const inNamespace = Number(process.argv[2] ?? 5000);
const others = Number(process.argv[3] ?? 30_000);
const rounds = Number(process.argv[4] ?? 3);
const MATCHING = 3;
const NAMESPACE = 'checkout';
const SELECTIVE = `kind=Pod&namespace=${NAMESPACE}&selector=app=checkout-api,tier=frontend`;
const BROAD = `kind=Pod&namespace=${NAMESPACE}&selector=tier=frontend`;

/** The namespace's pods: 3 labelled app=checkout-api, tier=frontend; the rest other apps, half of them tier=frontend. */
function namespacePods(): InventoryItem[] {
  return Array.from({ length: inNamespace }, (_, i) => {
    const p = syntheticPod(others + i);
    const labels = i < MATCHING ? { ...p.labels, app: 'checkout-api', tier: 'frontend' } : p.labels;
    return { ...p, namespace: NAMESPACE, uid: `ns-${p.uid}`, labels };
  });
}

/** Reads of GET …/resources through the hub's routes as one viewer. */
class Reader {
  private constructor(
    private readonly hub: Hub,
    private readonly token: string,
  ) {}

  static async of(hub: Hub): Promise<Reader> {
    return new Reader(hub, await benchToken(hub.db, { role: 'viewer' }));
  }

  /** Every page of a list, as the console's listAll reads it: the pods and the bytes. */
  async list(query: string): Promise<{ pods: number; bytes: number; requests: number }> {
    const r = await readPages(this.hub, this.token, query);
    return { pods: r.items, bytes: r.bytes, requests: r.requests };
  }

  /** `n` reads of a list, printed: median and max, and what the last read got. */
  async time(label: string, query: string, n: number): Promise<void> {
    const ms: number[] = [];
    let last = { pods: 0, bytes: 0, requests: 0 };
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      last = await this.list(query);
      ms.push(performance.now() - t);
    }
    console.log(
      `${label}: ${stat(ms)} (${n} reads); ` +
        `${last.requests} request(s), ${last.pods} pods, ${(last.bytes / 1024).toFixed(1)} KiB`,
    );
  }
}

const stat = (ms: readonly number[]): string => {
  const s = summarize(ms);
  return `median ${s.median.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;
};

/**
 * PostgreSQL's labels index: its size, then rounds alternating with it and
 * without it (dropped, then built again from its own definition: the build is
 * what migration 025 costs an existing store of this size).
 */
async function labelIndexCost(hub: Hub, reader: Reader, client: pg.Client, pods: InventoryItem[]): Promise<void> {
  const one = async (q: string): Promise<Record<string, string>> =>
    (await client.query<Record<string, string>>(q)).rows[0] ?? {};
  const { indexdef } = await one(`SELECT indexdef FROM pg_indexes WHERE indexname = 'resources_by_labels'`);
  if (!indexdef) throw new Error('no resources_by_labels index (migration 025)');
  const sizes = await one(`SELECT pg_size_pretty(pg_relation_size('resources_by_labels')) AS labels,
      pg_size_pretty(pg_relation_size('resources')) AS heap, pg_size_pretty(pg_indexes_size('resources')) AS indexes,
      (SELECT count(*) FROM resources) AS n`);
  console.log(
    `label index: ${sizes.labels} for ${sizes.n} rows (the table ${sizes.heap ?? ''}, all its indexes ${sizes.indexes ?? ''}); ${indexdef}`,
  );
  let version = 0;
  /** The namespace's pods changed (a new resourceVersion each), in batches of 1,000; then 200 one-pod changes. */
  const writes = async (label: string): Promise<void> => {
    version++;
    const changed = pods.map((p) => ({ ...p, resourceVersion: `${p.resourceVersion}.${version}` }));
    let t = performance.now();
    for (let i = 0; i < changed.length; i += 1000)
      await hub.inventory.applyChanges('bench', changed.slice(i, i + 1000), []);
    const batches = performance.now() - t;
    const singles: number[] = [];
    for (let i = 0; i < 200; i++) {
      const p = changed[(i * 23) % changed.length];
      if (!p) continue;
      t = performance.now();
      await hub.inventory.applyChanges('bench', [{ ...p, resourceVersion: `${p.resourceVersion}.one` }], []);
      singles.push(performance.now() - t);
    }
    console.log(
      `  ${label} writes: ${changed.length} pods changed in batches of 1,000 ${batches.toFixed(0)} ms; one-pod change ${stat(singles)} (200)`,
    );
  };
  let indexed = true;
  // Which side goes first alternates by round (the order a round's writes and the checkpoints after a build fall in).
  for (let r = 0; r < rounds; r++)
    for (const withIndex of r % 2 === 0 ? [true, false] : [false, true]) {
      const label = withIndex ? 'with the label index' : 'without it';
      if (withIndex && !indexed) {
        let t = performance.now();
        await client.query(indexdef);
        const build = performance.now() - t;
        t = performance.now();
        await client.query('ANALYZE resources');
        console.log(
          `round ${r + 1}: index built in ${build.toFixed(0)} ms (then ANALYZE ${(performance.now() - t).toFixed(0)} ms)`,
        );
      } else console.log(`round ${r + 1}`);
      if (!withIndex && indexed) await client.query('DROP INDEX resources_by_labels');
      indexed = withIndex;
      await reader.time(`  ${label}: selector=app=checkout-api,tier=frontend`, SELECTIVE, 30);
      await reader.time(`  ${label}: selector=tier=frontend`, BROAD, 10);
      await writes(label);
    }
  if (!indexed) await client.query(indexdef);
}

async function measure(dialect: string, store: Partial<HubOptions>): Promise<void> {
  const hub = await createHub({ ...store, logger: false, webRoot: false });
  try {
    await seedSyntheticCluster(hub, others, 2000, 5000);
    const pods = namespacePods();
    for (let i = 0; i < pods.length; i += 1000) await hub.inventory.applyChanges('bench', pods.slice(i, i + 1000), []);
    const reader = await Reader.of(hub);
    // PostgreSQL: the planner's statistics as autovacuum takes them within a minute of a load this size
    // (without any, it guesses one row per index range and ignores the labels index).
    const client = dialect === 'PostgreSQL' ? await storeClient(store) : null;
    await client?.query('ANALYZE resources');
    console.log(`${inNamespace} pods in ${NAMESPACE} (${MATCHING} match), ${others} in other namespaces (${dialect})`);
    await reader.time('before: the namespace’s every pod', `kind=Pod&namespace=${NAMESPACE}`, 10);
    await reader.time('after: the selector’s pods (selector=app=checkout-api,tier=frontend)', SELECTIVE, 30);
    await reader.time('a broad selector (selector=tier=frontend)', BROAD, 10);
    if (client) await labelIndexCost(hub, reader, client, pods).finally(() => client.end());
  } finally {
    await hub.close();
  }
}

await onBothStores('service-pods', measure);
