// What a Service's workloads cost the hub (issue 18, helper brief
// "svcworkloads"): a namespace of N Deployments (and a few StatefulSets,
// DaemonSets and CronJobs), of which 3 Deployments' pod templates carry the
// Service's selector `app=checkout-api,tier=frontend`. Before: the console read
// the namespace's every Deployment, StatefulSet, DaemonSet and CronJob
// (`?kind=…&namespace=…&sort=age&order=desc`, pages of 1,000 to the end) and
// matched the selector against each template itself. After: it asks each kind
// with `&templateSelector=…` and the hub compares the template labels in SQL
// over the namespace's index range. Both reads in the same rounds, their order
// alternating; each through GET …/resources as a viewer's bearer token
// (fastify's inject: the route, its JSON, no socket), bytes as sent, the four
// kinds asked at once as the console asks them. The workloads are the agent's
// own projection of realistic Deployments (containers with env, probes,
// resources, volumes). SQLite, then PostgreSQL (a server started for the run);
// on PostgreSQL the main rounds run with its template labels index (migration
// 026), then rounds with it and without it (dropped): the read, and the writes
// it could cost. (An earlier version built a candidate index here, not partial,
// to decide whether one was needed: docs/performance.md.)
//   node bench/dist/src/service-workloads-cost.js [namespace sizes, default 2000,10000] [other Deployments, default 10000] [rounds, default 3]
import type pg from 'pg';
import { project, type KubeObject } from '@wheelhouse/agent';
import { createHub, type Hub, type HubOptions } from '@wheelhouse/hub';
import type { InventoryItem, ResourceKind } from '@wheelhouse/protocol';
import { benchToken } from './bench-token.js';
import { onBothStores } from './both-stores.js';
import { seedSyntheticCluster } from './benchmarks/console-pods.js';
import { readPages, type PagesRead } from './resource-pages.js';
import { summarize } from './stats.js';
import { storeClient } from './store-client.js';

const sizes = (process.argv[2] ?? '2000,10000').split(',').map(Number);
const others = Number(process.argv[3] ?? 10_000);
const rounds = Number(process.argv[4] ?? 3);
const MATCHING = 3;
const SELECTOR = 'app=checkout-api,tier=frontend';
const KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'] as const;
/** StatefulSets, DaemonSets and CronJobs per namespace (a team's few beside its many Deployments). */
const FEW = 20;
const APPS = ['cart', 'checkout', 'payments', 'search', 'catalog', 'ledger', 'mailer', 'auth'];
const BASE_TIME = Date.parse('2026-11-01T00:00:00Z');

/** Workload i of a namespace as Kubernetes has it: a pod template like a real service's. */
function kubeWorkload(kind: ResourceKind, namespace: string, i: number, labels: Record<string, string>): KubeObject {
  const app = labels.app ?? 'app';
  const template = {
    metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' } },
    spec: {
      serviceAccountName: app,
      containers: [
        {
          name: app,
          image: `registry.example.com/${namespace}/${app}:1.${i % 40}.${i % 7}`,
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'metrics', containerPort: 9090 },
          ],
          env: Array.from({ length: 8 }, (_, e) => ({ name: `SETTING_${e}`, value: `value-${e}-${i}` })).concat([
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `${app}-db`, key: 'password' } } } as never,
          ]),
          envFrom: [{ configMapRef: { name: `${app}-config` } }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/live', port: 8080 }, periodSeconds: 10 },
          volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: `${app}-config` } }],
    },
  };
  const spec: Record<string, unknown> =
    kind === 'CronJob'
      ? { schedule: '*/15 * * * *', jobTemplate: { spec: { template } } }
      : { replicas: 2, selector: { matchLabels: labels }, template };
  return {
    metadata: {
      namespace,
      name: `${app}-${String(i).padStart(5, '0')}`,
      uid: `${namespace}-${kind}-${i}`,
      resourceVersion: String(10_000 + i),
      generation: 1,
      creationTimestamp: new Date(BASE_TIME + i * 1000).toISOString(),
      labels: { app, team: namespace },
    },
    spec,
    status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 },
  };
}

/** A namespace of n Deployments (the first 3 the Service's) and FEW of each other backend kind. */
function namespaceWorkloads(namespace: string, n: number): InventoryItem[] {
  const labelsOf = (i: number): Record<string, string> =>
    i < MATCHING
      ? { app: 'checkout-api', tier: 'frontend', version: `v${i}` }
      : { app: APPS[i % APPS.length] ?? 'app', tier: i % 2 === 0 ? 'frontend' : 'backend', version: 'v1' };
  return [
    ...Array.from({ length: n }, (_, i) =>
      project('Deployment', kubeWorkload('Deployment', namespace, i, labelsOf(i))),
    ),
    ...(['StatefulSet', 'DaemonSet', 'CronJob'] as const).flatMap((kind) =>
      Array.from({ length: FEW }, (_, i) =>
        project(kind, kubeWorkload(kind, namespace, n + i, labelsOf(MATCHING + i))),
      ),
    ),
  ];
}

/** The four backend kinds of a namespace read at once (as useListedObjects asks them), `extra` on each. */
async function backends(hub: Hub, token: string, namespace: string, extra: string): Promise<PagesRead> {
  const reads = await Promise.all(KINDS.map((k) => readPages(hub, token, `kind=${k}&namespace=${namespace}${extra}`)));
  return reads.reduce((a, r) => ({
    items: a.items + r.items,
    bytes: a.bytes + r.bytes,
    requests: a.requests + r.requests,
  }));
}

/** Times reads of a namespace's backends through GET …/resources as one viewer: `n` reads, printed. */
type Reader = { time(label: string, namespace: string, extra: string, n: number): Promise<void> };

async function readerOf(hub: Hub): Promise<Reader> {
  const token = await benchToken(hub.db, { role: 'viewer' });
  return {
    async time(label, namespace, extra, n) {
      const ms: number[] = [];
      let last: PagesRead = { items: 0, bytes: 0, requests: 0 };
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        last = await backends(hub, token, namespace, extra);
        ms.push(performance.now() - t);
      }
      const s = summarize(ms);
      console.log(
        `  ${label}: median ${s.median.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${n} reads); ` +
          `${last.requests} requests, ${last.items} workloads, ${(last.bytes / 1024).toFixed(1)} KiB`,
      );
    },
  };
}

const OLD = '';
const NEW = `&templateSelector=${SELECTOR}`;
const nsOf = (n: number): string => `team-${n}`;

/** Rounds of the old read and the new one, which goes first alternating by round. */
async function oldBesideNew(reader: Reader, n: number): Promise<void> {
  // Fewer reads of the old one at 10,000 (each ~10 pages per kind of several MB).
  const oldReads = n > 5000 ? 3 : 5;
  for (let r = 0; r < rounds; r++) {
    console.log(`round ${r + 1}`);
    for (const side of r % 2 === 0 ? ['old', 'new'] : ['new', 'old'])
      if (side === 'old') await reader.time("before: the namespace's every backend workload", nsOf(n), OLD, oldReads);
      else await reader.time(`after: templateSelector=${SELECTOR}`, nsOf(n), NEW, 20);
  }
}

/**
 * PostgreSQL's template labels index (migration 026): its size, then rounds
 * alternating with it and without it (dropped, then built again from its own
 * definition: the build is what the migration costs an existing store), each
 * with the read and the writes it may cost — the namespace's Deployments
 * changed in batches of 1,000 (a resync's chunks) and 5,000 pods likewise
 * (not of its kinds: a pod's write should not pay for it).
 */
async function templateIndexCost(
  client: pg.Client,
  hub: Hub,
  reader: Reader,
  n: number,
  pods: InventoryItem[],
): Promise<void> {
  const one = async (q: string): Promise<Record<string, string>> =>
    (await client.query<Record<string, string>>(q)).rows[0] ?? {};
  const { indexdef } = await one(`SELECT indexdef FROM pg_indexes WHERE indexname = 'resources_by_template_labels'`);
  if (!indexdef) throw new Error('no resources_by_template_labels index (migration 026)');
  const plan = async (): Promise<string> =>
    (
      await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT data FROM resources WHERE cluster_id = 'bench' AND kind = 'Deployment' AND namespace = '${nsOf(n)}'
         AND (data::json #> '{summary,spec,template,labels}')::jsonb @> '{"app":"checkout-api","tier":"frontend"}'::jsonb`,
      )
    ).rows
      .map((r) => r['QUERY PLAN'].trim())
      .filter((l) => /Scan/.test(l))
      .join(' | ');
  const { size } = await one(`SELECT pg_size_pretty(pg_relation_size('resources_by_template_labels')) AS size`);
  console.log(`template index: ${size}; ${indexdef}`);
  const workloads = (await hub.inventory.query('bench', { kind: 'Deployment', namespace: nsOf(n), limit: n })).items;
  let version = 0;
  const batches = async (items: InventoryItem[]): Promise<number> => {
    version++;
    const changed = items.map((p) => ({ ...p, resourceVersion: `${p.resourceVersion}.${version}` }));
    const t = performance.now();
    for (let i = 0; i < changed.length; i += 1000)
      await hub.inventory.applyChanges('bench', changed.slice(i, i + 1000), []);
    return performance.now() - t;
  };
  let indexed = true;
  for (let r = 0; r < rounds; r++)
    for (const withIndex of r % 2 === 0 ? [true, false] : [false, true]) {
      const label = withIndex ? 'with the template index' : 'without it';
      if (withIndex && !indexed) {
        const t = performance.now();
        await client.query(indexdef);
        const build = performance.now() - t;
        await client.query('ANALYZE resources');
        console.log(`round ${r + 1}: index built in ${build.toFixed(0)} ms`);
      } else console.log(`round ${r + 1}`);
      if (!withIndex && indexed) await client.query('DROP INDEX resources_by_template_labels');
      indexed = withIndex;
      console.log(`  plan: ${await plan()}`);
      await reader.time(`${label}: templateSelector=${SELECTOR}`, nsOf(n), NEW, 20);
      const deployments = await batches(workloads);
      const podWrites = await batches(pods);
      console.log(
        `  ${label} writes: ${workloads.length} Deployments changed in batches of 1,000 ${deployments.toFixed(0)} ms; ` +
          `${pods.length} pods likewise ${podWrites.toFixed(0)} ms`,
      );
    }
  if (!indexed) await client.query(indexdef);
}

/**
 * SQLite: the route's statement with its byte sieve (instr of each term's text, before json_extract) and
 * without it, the same Deployments' rows of the namespace, alternating read by read.
 */
async function sieveCost(hub: Hub, n: number): Promise<void> {
  const terms = Object.entries({ app: 'checkout-api', tier: 'frontend' });
  const read = (sieve: boolean) =>
    hub.db
      .selectFrom('resources')
      .select('data')
      .where('cluster_id', '=', 'bench')
      .where('kind', '=', 'Deployment')
      .where('namespace', '=', nsOf(n))
      .where((eb) =>
        eb.and([
          ...(sieve
            ? terms.map(([k, v]) =>
                eb(eb.fn('instr', [eb.ref('data'), eb.val(`${JSON.stringify(k)}:${JSON.stringify(v)}`)]), '>', 0),
              )
            : []),
          ...terms.map(([k, v]) =>
            eb(eb.fn('json_extract', [eb.ref('data'), eb.val(`$.summary.spec.template.labels."${k}"`)]), '=', v),
          ),
        ]),
      )
      .execute();
  const ms = new Map<boolean, number[]>([
    [false, []],
    [true, []],
  ]);
  for (let i = 0; i < 40; i++)
    for (const sieve of i % 2 === 0 ? [false, true] : [true, false]) {
      const t = performance.now();
      const rows = await read(sieve);
      ms.get(sieve)?.push(performance.now() - t);
      if (rows.length !== MATCHING) throw new Error(`sieve ${String(sieve)}: ${rows.length} rows`);
    }
  for (const [sieve, xs] of ms) {
    const st = summarize(xs);
    const label = sieve ? 'instr sieve, then json_extract' : 'json_extract only';
    console.log(`  the statement, ${label}: median ${st.median.toFixed(1)} ms, max ${st.max.toFixed(1)} ms (40)`);
  }
}

async function measure(dialect: string, store: Partial<HubOptions>): Promise<void> {
  const hub = await createHub({ ...store, logger: false, webRoot: false });
  try {
    // A cluster around the namespaces: 30,000 pods, and `others` Deployments in 40 other namespaces.
    await seedSyntheticCluster(hub, 30_000, 2000, 5000);
    const items = [
      ...sizes.flatMap((n) => namespaceWorkloads(nsOf(n), n)),
      ...Array.from({ length: 40 }, (_, t) => namespaceWorkloads(`other-${t}`, Math.floor(others / 40))).flat(),
    ];
    for (const kind of KINDS) {
      const ofKind = items.filter((i) => i.kind === kind);
      for (let i = 0; i < ofKind.length; i += 1000)
        await hub.inventory.applySnapshotChunk(
          'bench',
          kind,
          'seed',
          ofKind.slice(i, i + 1000),
          i + 1000 >= ofKind.length,
        );
    }
    const reader = await readerOf(hub);
    const pods = (await hub.inventory.query('bench', { kind: 'Pod', limit: 5000 })).items;
    const client = dialect === 'PostgreSQL' ? await storeClient(store) : null;
    // PostgreSQL: the planner's statistics as autovacuum takes them within a minute of a load this size.
    await client?.query('ANALYZE resources');
    try {
      for (const n of sizes) {
        console.log(
          `${dialect}: ${n} Deployments + ${FEW} each of StatefulSet, DaemonSet, CronJob in ${nsOf(n)} ` +
            `(${MATCHING} match ${SELECTOR}); ${others} Deployments elsewhere, 30000 pods`,
        );
        await oldBesideNew(reader, n);
        if (client) await templateIndexCost(client, hub, reader, n, pods);
        else await sieveCost(hub, n);
      }
    } finally {
      await client?.end();
    }
  } finally {
    await hub.close();
  }
}

await onBothStores('service-workloads', measure);
