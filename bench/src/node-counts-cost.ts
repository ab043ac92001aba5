// The hub's cost of the Nodes page's pod counts, in process on the
// console-pods bench's synthetic store (issue 18, helper brief "nodecounts"):
// the whole-cluster count the page used to ask on every visit and pod change
// (the old `pods-by-node` statement, verbatim) against the counts of a page of
// nodes (`podsOnNodes`) and the page with its counts (`GET …/nodes`).
//   node bench/dist/src/node-counts-cost.js [pods, default 100000] [nodes, default 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '@wheelhouse/hub';
import { seedSyntheticCluster, syntheticNodeName } from './benchmarks/console-pods.js';
import { summarize } from './stats.js';

const pods = Number(process.argv[2] ?? 100_000);
const nodes = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'wh-node-counts-'));
const hub = await createHub({ dataDir: dir, logger: false, webRoot: false });
try {
  await seedSyntheticCluster(hub, pods, nodes, 5000);
  const page = Array.from({ length: 50 }, (_, i) => syntheticNodeName((Math.floor(nodes / 2) + i) % nodes));
  const time = async (label: string, fn: () => Promise<unknown>, n = 30): Promise<void> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      ms.push(performance.now() - t);
    }
    const s = summarize(ms);
    console.log(`${label}: median ${s.median.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${n} calls)`);
  };
  console.log(`${pods} pods on ${nodes} nodes (SQLite)`);
  await time(`before: every node's pods counted (GROUP BY node, ${nodes} rows)`, () =>
    hub.db
      .selectFrom('resources')
      .where('cluster_id', '=', 'bench')
      .where('kind', '=', 'Pod')
      .where('node', '!=', '')
      .select((eb) => ['node', eb.fn.countAll<number>().as('n')])
      .groupBy('node')
      .orderBy('node')
      .execute(),
  );
  await time('after: the pods of a page of 50 nodes counted (podsOnNodes)', () =>
    hub.inventory.podsOnNodes('bench', page),
  );
  await time('after: a page of 50 nodes with their counts (GET …/nodes)', () =>
    hub.inventory.nodePage('bench', { sort: 'name', order: 'asc', limit: 50 }),
  );
  await time(
    'after: a page of 1,000 nodes with their counts (a dragged scrollbar)',
    () => hub.inventory.nodePage('bench', { sort: 'name', order: 'asc', limit: 1000 }),
    10,
  );
} finally {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
}
