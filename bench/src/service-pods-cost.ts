// What a Service's "Used by" costs the hub (issue 18, helper brief "lists"):
// the pods its selector matches in a namespace of 5,000, of which 3 match,
// among the console-pods bench's synthetic cluster. Before: the console read
// the namespace's every pod (`?kind=Pod&namespace=…&sort=age&order=desc`,
// pages of 1,000 to the end) and matched the selector itself. After: it asks
// with `&selector=…` and the hub compares the labels in SQL over the
// namespace's index range. Each through GET …/resources as a viewer's bearer
// token (fastify's inject: the route, its JSON, no socket), bytes as sent.
// SQLite, then PostgreSQL (a server started for the run).
//   node bench/dist/src/service-pods-cost.js [namespace pods, default 5000] [other pods, default 30000]
import type { InventoryItem } from '@wheelhouse/protocol';
import { createHub, type HubOptions } from '@wheelhouse/hub';
import { benchToken } from './bench-token.js';
import { onBothStores } from './both-stores.js';
import { seedSyntheticCluster, syntheticPod } from './benchmarks/console-pods.js';
import { summarize } from './stats.js';

const inNamespace = Number(process.argv[2] ?? 5000);
const others = Number(process.argv[3] ?? 30_000);
const MATCHING = 3;
const NAMESPACE = 'checkout';

/** The namespace's pods: 3 labelled app=checkout-api, tier=frontend; the rest other apps, half of them tier=frontend. */
function namespacePods(): InventoryItem[] {
  return Array.from({ length: inNamespace }, (_, i) => {
    const p = syntheticPod(others + i);
    const labels = i < MATCHING ? { ...p.labels, app: 'checkout-api', tier: 'frontend' } : p.labels;
    return { ...p, namespace: NAMESPACE, uid: `ns-${p.uid}`, labels };
  });
}

async function measure(dialect: string, store: Partial<HubOptions>): Promise<void> {
  const hub = await createHub({ ...store, logger: false, webRoot: false });
  try {
    await seedSyntheticCluster(hub, others, 2000, 5000);
    const pods = namespacePods();
    for (let i = 0; i < pods.length; i += 1000) await hub.inventory.applyChanges('bench', pods.slice(i, i + 1000), []);
    const token = await benchToken(hub.db, { role: 'viewer' });
    /** Every page of a list, as the console's listAll reads it: the pods and the bytes. */
    const list = async (query: string): Promise<{ pods: number; bytes: number; requests: number }> => {
      let cursor: string | null = null;
      let pods = 0;
      let bytes = 0;
      let requests = 0;
      do {
        const res: { statusCode: number; body: string; rawPayload: Buffer } = await hub.app.inject({
          method: 'GET',
          url: `/api/v1/clusters/bench/resources?${query}&sort=age&order=desc&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
          headers: { authorization: `Bearer ${token}` },
        });
        if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
        const page = JSON.parse(res.body) as { items: unknown[]; nextCursor: string | null };
        bytes += res.rawPayload.length;
        pods += page.items.length;
        requests++;
        cursor = page.nextCursor;
      } while (cursor);
      return { pods, bytes, requests };
    };
    const time = async (label: string, query: string, n: number): Promise<void> => {
      const ms: number[] = [];
      let last = { pods: 0, bytes: 0, requests: 0 };
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        last = await list(query);
        ms.push(performance.now() - t);
      }
      const s = summarize(ms);
      console.log(
        `${label}: median ${s.median.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${n} reads); ` +
          `${last.requests} request(s), ${last.pods} pods, ${(last.bytes / 1024).toFixed(1)} KiB`,
      );
    };
    console.log(`${inNamespace} pods in ${NAMESPACE} (${MATCHING} match), ${others} in other namespaces (${dialect})`);
    await time('before: the namespace’s every pod', `kind=Pod&namespace=${NAMESPACE}`, 10);
    await time(
      'after: the selector’s pods (selector=app=checkout-api,tier=frontend)',
      `kind=Pod&namespace=${NAMESPACE}&selector=app=checkout-api,tier=frontend`,
      30,
    );
  } finally {
    await hub.close();
  }
}

await onBothStores('service-pods', measure);
