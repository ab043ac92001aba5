// The console's Pods page (and the Nodes page, M nodes from --nodes, default 2,000 as in the agent bench; the
// Workloads page, 600 Deployments; one node's page; one Deployment's page; one pod's page) at N pods (issue 18; N from --pods,
// default 30,000 and 100,000), in Chromium, against the targets: first rows visible ≤ 1 s,
// filter/sort result ≤ 150 ms, JS heap ≤ 150 MiB.
//
// The hub's SQLite store is seeded directly with N synthetic pods as the
// agent's projection stores them (three containers with images, resources and
// states, conditions, owner references, labels; ~1.5 KB of JSON each) — not
// N kwok pods, which this 2-core machine cannot run beside the rest. No agent:
// the page reads the store through the hub's API as it would with one.
//
// Each round, a fresh browser context (cold HTTP cache): navigation → first
// pod row in the DOM; then a name typed into the filter (input event → the one
// matching row shown and counted); then a click on the Age header (click →
// the oldest pod first). All three in the page's own clock (a
// MutationObserver, not Playwright's polling). Baseline: the first page the
// hub serves the page (GET …/resources?kind=Pod&count=true&limit=100, over
// HTTP) — the server's share of "first rows".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '@wheelhouse/e2e/chromium';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createBinding, createUser } from '@wheelhouse/hub/identity';
import { hashPassword } from '@wheelhouse/hub/password';
import type { InventoryItem } from '@wheelhouse/protocol';
import type { Benchmark } from '../harness.js';
import { summarize } from '../stats.js';

export const DEFAULT_POD_COUNTS = [30_000, 100_000];
const NAMESPACES = 60;
const APPS = ['api', 'web', 'worker', 'cache', 'ingest', 'billing', 'search', 'auth'];
const BASE_TIME = 1_750_000_000_000;
/** Deployments the pods belong to (through one ReplicaSet each): pod i runs under deployment i % DEPLOYMENTS. */
export const DEPLOYMENTS = 600;
const PHASES = ['Running', 'Running', 'Running', 'Running', 'Running', 'Running', 'Pending', 'Failed', 'Succeeded'];

/** Pod i: like the agent's projection of a Deployment's pod. Created newest-first, so the oldest sorts last by name. */
export function syntheticPod(i: number, nodes = DEFAULT_NODE_COUNT): InventoryItem {
  const app = APPS[i % APPS.length] ?? 'app';
  const namespace = `team-${String(i % NAMESPACES).padStart(2, '0')}`;
  const hash = ((i * 2654435761) >>> 0).toString(36).padStart(7, '0').slice(0, 7);
  const name = `${app}-${hash.slice(0, 5)}-${String(i).padStart(6, '0')}`;
  const phase = PHASES[i % PHASES.length] ?? 'Running';
  const running = phase === 'Running';
  const container = (c: string, image: string) => ({
    name: c,
    image,
    ready: running,
    restartCount: i % 13 === 0 ? 3 : 0,
    state: running ? 'running' : phase === 'Pending' ? 'waiting' : 'terminated',
    reason: running ? null : phase === 'Pending' ? 'ContainerCreating' : 'Completed',
    message: null,
    exitCode: running || phase === 'Pending' ? null : phase === 'Failed' ? 1 : 0,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    lastTerminated: i % 13 === 0 ? { reason: 'OOMKilled', exitCode: 137, finishedAt: BASE_TIME } : null,
  });
  const t = BASE_TIME - i * 1000;
  return {
    kind: 'Pod',
    namespace,
    name,
    uid: `0f8c${String(i).padStart(8, '0')}-1d2e-4f5a-8b9c-${hash.padEnd(12, '0')}`,
    resourceVersion: String(100_000 + i),
    createdAt: t,
    labels: { app, 'pod-template-hash': hash.slice(0, 5), tier: i % 2 ? 'backend' : 'frontend' },
    ownerRefs: [{ kind: 'ReplicaSet', name: `${deploymentName(i)}-7c9f`, uid: `rs-${i % DEPLOYMENTS}` }],
    summary: {
      phase,
      ready: running,
      nodeName: syntheticNodeName(i % nodes),
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      qosClass: 'Burstable',
      startTime: t + 2000,
      reason: null,
      restarts: i % 13 === 0 ? 3 : 0,
      containers: [
        container(app, `registry.example.com/shop/${app}:1.${i % 40}.0`),
        container('envoy', 'envoyproxy/envoy:v1.31.2'),
        container('log-shipper', 'fluent/fluent-bit:3.1.9'),
      ],
      initContainers: [{ name: 'migrate', image: `registry.example.com/shop/${app}-migrate:1.${i % 40}.0` }],
      conditionDetails: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
        type,
        status: running || type === 'PodScheduled' ? 'True' : 'False',
        reason: null,
        message: null,
        lastTransitionTime: t + 3000,
      })),
    },
  };
}

/** Deployment d's name: its app and number (d % 60 is its namespace, d % 8 its app, as for its pods). */
const deploymentName = (d: number): string =>
  `${APPS[d % APPS.length] ?? 'app'}-${String(d % DEPLOYMENTS).padStart(3, '0')}`;

/** Deployment d and its ReplicaSet, as the agent's projection stores them, for `pods` pods in all. */
export function syntheticDeployment(d: number, pods: number): InventoryItem[] {
  const name = deploymentName(d);
  const namespace = `team-${String(d % NAMESPACES).padStart(2, '0')}`;
  const replicas = Math.floor(pods / DEPLOYMENTS) + (d < pods % DEPLOYMENTS ? 1 : 0);
  // One in ten is short of ready pods (the page's unhealthy rows).
  const ready = d % 10 === 7 ? Math.max(0, replicas - 2) : replicas;
  const meta = {
    namespace,
    resourceVersion: String(5000 + d),
    createdAt: BASE_TIME - 86_400_000 + d * 1000,
    labels: { app: name },
  };
  return [
    {
      ...meta,
      kind: 'Deployment',
      name,
      uid: `0f8e${String(d).padStart(8, '0')}-1d2e-4f5a-8b9c-000000000000`,
      ownerRefs: [],
      summary: {
        replicas,
        readyReplicas: ready,
        availableReplicas: ready,
        updatedReplicas: replicas,
        paused: false,
        images: [`registry.example.com/shop/${APPS[d % APPS.length] ?? 'app'}:1.${d % 40}.0`],
        conditions: { Available: ready === replicas ? 'True' : 'False', Progressing: 'True' },
        spec: {},
      },
    },
    {
      ...meta,
      kind: 'ReplicaSet',
      name: `${name}-7c9f`,
      uid: `rs-${d}`,
      ownerRefs: [{ kind: 'Deployment', name, uid: `dep-${d}` }],
      summary: { replicas, readyReplicas: ready, availableReplicas: ready, images: [] },
    },
  ];
}

/** The nodes the synthetic pods run on (node-0000 … node-1999 by default), as the agent's projection stores them. */
export const DEFAULT_NODE_COUNT = 2000;
export const syntheticNodeName = (i: number): string => `node-${String(i).padStart(4, '0')}`;
/** Node i: every 97th (from the 6th) not ready, every 13th (from the 8th) cordoned — the status sort has a first. */
export function syntheticNode(i: number): InventoryItem {
  const name = syntheticNodeName(i);
  return {
    kind: 'Node',
    namespace: '',
    name,
    uid: `0f8d${String(i).padStart(8, '0')}-1d2e-4f5a-8b9c-000000000000`,
    resourceVersion: String(10_000 + i),
    createdAt: BASE_TIME - 86_400_000,
    labels: { 'kubernetes.io/hostname': name },
    ownerRefs: [],
    summary: {
      unschedulable: i % 13 === 7,
      conditions: {
        Ready: i % 97 === 5 ? 'False' : 'True',
        MemoryPressure: 'False',
        DiskPressure: 'False',
        PIDPressure: 'False',
      },
      capacity: { cpu: '32', memory: '128Gi', pods: '250' },
      allocatable: { cpu: '31500m', memory: '126Gi', pods: '250' },
      taints: [],
      kubeletVersion: 'v1.33.0',
      addresses: [{ type: 'InternalIP', address: `10.0.${i >> 8}.${i & 255}` }],
      spec: {},
    },
  };
}

/**
 * Adds the cluster "bench" to the hub with `pods` synthetic pods on `nodes`
 * synthetic nodes, stored as an agent's snapshots in chunks (the console
 * benches' store and the in-process cost scripts').
 */
export async function seedSyntheticCluster(
  hub: Pick<Hub, 'clusters' | 'inventory'>,
  pods: number,
  nodes = DEFAULT_NODE_COUNT,
  chunk = 2000,
): Promise<void> {
  await hub.clusters.create('bench', 'bench');
  for (let i = 0; i < pods; i += chunk) {
    const items = Array.from({ length: Math.min(chunk, pods - i) }, (_, j) => syntheticPod(i + j, nodes));
    await hub.inventory.applySnapshotChunk('bench', 'Pod', 'seed', items, i + chunk >= pods);
  }
  const nodeItems = Array.from({ length: nodes }, (_, i) => syntheticNode(i));
  await hub.inventory.applySnapshotChunk('bench', 'Node', 'seed', nodeItems, true);
}

/**
 * The Nodes page (issue 18: paged by the hub, pod counts from the hub):
 * navigation → the first node row with its pod count (page clock, see the
 * init script); a click on Status → the first node that is not ready first;
 * a name typed → that node alone, counted; the heap once the network is idle;
 * how many requests listed pods, and how many Node requests were not a page of
 * the hub's sorted list (the whole list, as the page read it before).
 */
async function nodesPage(
  page: Page,
  href: string,
  target: string,
): Promise<{
  first: number;
  sort: number;
  filter: number;
  heap: number;
  podRequests: number;
  wholeNodeRequests: number;
  wholeCountRequests: number;
}> {
  page.setDefaultTimeout(600_000);
  await page.addInitScript((target: string) => {
    const w = window as unknown as Record<string, number | undefined>;
    const rows = (): NodeListOf<HTMLTableRowElement> =>
      document.querySelectorAll('table[aria-label="Nodes"] tbody tr[data-name]');
    document.addEventListener('input', (e) => (w.whInput = e.timeStamp), true);
    document.addEventListener('click', (e) => (w.whClick = e.timeStamp), true);
    new MutationObserver(() => {
      const now = performance.now();
      const cell = document.querySelector('table[aria-label="Nodes"] td[data-col="pods"]');
      if (w.whNodes === undefined && /^\d/.test(cell?.textContent ?? '')) w.whNodes = now;
      const r = rows();
      if (w.whClick !== undefined && w.whSorted === undefined && /^NotReady/.test(r[0]?.cells[1]?.textContent ?? ''))
        w.whSorted = now;
      if (w.whInput !== undefined && w.whFiltered === undefined) {
        const count = document.querySelector('[aria-label="Node count"]')?.textContent;
        if (r.length === 1 && r[0]?.dataset.name === target && count === '1 node') w.whFiltered = now;
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  }, target);
  const mark = (name: string) =>
    page.waitForFunction((n) => (window as unknown as Record<string, number | undefined>)[n] !== undefined, name);
  await page.goto(href);
  await mark('whNodes');
  await page.getByRole('button', { name: 'Status' }).click();
  await mark('whSorted');
  await page.getByLabel('Filter by name').fill(target);
  await mark('whFiltered');
  await page.waitForLoadState('networkidle');
  return page.evaluate(() => {
    const w = window as unknown as Record<string, number>;
    const names = performance.getEntriesByType('resource').map((e) => e.name);
    return {
      first: w.whNodes ?? 0,
      sort: (w.whSorted ?? 0) - (w.whClick ?? 0),
      filter: (w.whFiltered ?? 0) - (w.whInput ?? 0),
      podRequests: names.filter((n) => n.includes('kind=Pod')).length,
      wholeNodeRequests: names.filter((n) => n.includes('kind=Node') && !/[?&]sort=/.test(n)).length,
      // Every node's pods counted (as the page did before its pages carried their nodes' counts).
      wholeCountRequests: names.filter((n) => n.includes('/pods-by-node') && !n.includes('nodes=')).length,
      heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
    };
  });
}

/**
 * A page whose first row waits for a cell (Workloads: the first row's pod
 * count; a node's page: its first pod): navigation → that cell holding what
 * `ready` matches (page clock, a MutationObserver), the heap once the network
 * is idle, and how many requests listed pods, ReplicaSets or Jobs narrowed to
 * no node, owner or name (the whole cluster's).
 */
async function firstCellPage(
  page: Page,
  href: string,
  selector: string,
  ready: string,
): Promise<{ first: number; heap: number; podRequests: number; trace: string[] }> {
  await page.addInitScript(
    ({ selector, ready }: { selector: string; ready: string }) => {
      const w = window as unknown as Record<string, number | undefined>;
      const re = new RegExp(ready);
      new MutationObserver(() => {
        const cell = document.querySelector(selector);
        if (w.whCell === undefined && re.test(cell?.textContent ?? '')) w.whCell = performance.now();
      }).observe(document, { subtree: true, childList: true, characterData: true });
    },
    { selector, ready },
  );
  await page.goto(href);
  await page.waitForFunction(() => (window as unknown as { whCell?: number }).whCell !== undefined, null, {
    timeout: 600_000,
  });
  await page.waitForLoadState('networkidle', { timeout: 600_000 });
  return page.evaluate(() => {
    const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    return {
      first: (window as unknown as { whCell: number }).whCell,
      podRequests: entries.filter(
        (e) => /kind=(Pod|ReplicaSet|Job)\b/.test(e.name) && !/[?&](node|owner|name)=/.test(e.name),
      ).length,
      heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
      trace: entries.map(
        (e) =>
          `${e.name.replace(/^https?:\/\/[^/]+/, '').slice(0, 70)} ${e.startTime.toFixed(0)}→${e.responseEnd.toFixed(0)}`,
      ),
    };
  });
}

/** A viewer (or auditor) of every cluster ("bench"), signed in over HTTP: its session cookie's value. */
export async function signInViewer(hub: Hub, url: string, role: 'viewer' | 'auditor' = 'viewer'): Promise<string> {
  const { user } = await createUser(hub.db, {
    username: 'bench',
    passwordHash: await hashPassword('bench-password-1'),
    mustChangePassword: false,
    createdBy: 'bench',
  });
  await createBinding(hub.db, {
    userId: user.id,
    role,
    clusterPattern: '*',
    namespacePattern: '*',
    createdBy: 'bench',
  });
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: 'bench-password-1' }),
  });
  const cookie = /wh_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '';
  if (!cookie) throw new Error(`bench sign-in failed: ${login.status}`);
  return cookie;
}

const TARGETS = { firstRows: 1000, filter: 150, sort: 150, heapMiB: 150 };

export function consolePodsBenchmark(pods: number, nodes = DEFAULT_NODE_COUNT): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-pods-'));
  let hub: Hub | undefined;
  let browser: Browser | undefined;
  let url = '';
  let cookie = '';
  const first: number[] = [];
  const filter: number[] = [];
  const sort: number[] = [];
  const heaps: number[] = [];
  // Start-up (page clock): the console's main script running, its first page of pods asked.
  const scriptStart: number[] = [];
  const pageAsked: number[] = [];
  // The console's code the Pods page loaded before its first row: files and bytes as sent (brotli).
  let codeFiles = 0;
  let codeBytes = 0;
  const nodesFirst: number[] = [];
  const nodesSort: number[] = [];
  const nodesFilter: number[] = [];
  const nodesHeap: number[] = [];
  let nodesPodRequests = 0;
  let nodesWholeRequests = 0;
  let nodesWholeCounts = 0;
  const nodeTarget = syntheticNodeName(Math.floor(nodes * 0.77));
  // One node's page: a node in the middle (its pods are every nodes-th pod).
  const oneNode = syntheticNodeName(Math.floor(nodes / 4) + 3);
  const workloadsFirst: number[] = [];
  const workloadsHeap: number[] = [];
  let workloadsPodRequests = 0;
  const nodeFirst: number[] = [];
  const nodeHeap: number[] = [];
  let nodePodRequests = 0;
  const workloadFirst: number[] = [];
  const workloadHeap: number[] = [];
  let workloadWholeRequests = 0;
  // One Deployment's page: its pods asked by owner (WorkloadPage.tsx).
  const workload = { namespace: `team-${String(123 % NAMESPACES).padStart(2, '0')}`, name: deploymentName(123) };
  const podFirst: number[] = [];
  const podHeap: number[] = [];
  let podWholeRequests = 0;
  // One pod's page (PodsPage.tsx PodPage): a pod of that Deployment in the middle, its owner link the first content.
  const onePod = syntheticPod(123 + DEPLOYMENTS * Math.floor(pods / DEPLOYMENTS / 2), nodes);
  // The filter finds one pod deep in the default order; the Age sort puts the last one first.
  const target = syntheticPod(Math.floor(pods * 0.77), nodes).name;
  const oldest = syntheticPod(pods - 1, nodes).name;

  return Promise.resolve({
    name: `console-pods-${pods}`,
    description: `console Pods page, ${pods.toLocaleString('en-US')} pods on ${nodes.toLocaleString('en-US')} nodes seeded in the hub's SQLite store, Chromium (cold context) vs the hub's first page over HTTP`,
    rounds: 5,
    warmup: 1,
    setup: async () => {
      // BENCH_WEB_ROOT: another build of the console (say, the one before a change) served instead of packages/web's.
      const webRoot = process.env.BENCH_WEB_ROOT;
      hub = await createHub({ dataDir: dir, logger: false, ...(webRoot ? { webRoot } : {}) });
      if (webRoot) log(`console served from ${webRoot}`);
      await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = hub.app.server.address();
      url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      const t0 = Date.now();
      await seedSyntheticCluster(hub, pods, nodes);
      const owners = Array.from({ length: DEPLOYMENTS }, (_, d) => syntheticDeployment(d, pods)).flat();
      for (const kind of ['Deployment', 'ReplicaSet'])
        await hub.inventory.applySnapshotChunk(
          'bench',
          kind,
          'seed',
          owners.filter((o) => o.kind === kind),
          true,
        );
      log(`seeded ${pods} pods in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      cookie = await signInViewer(hub, url);
      browser = await launchChromium();
    },
    teardown: async () => {
      await browser?.close();
      await hub?.close();
      rmSync(dir, { recursive: true, force: true });
    },
    subject: {
      label: 'Pods page: first rows (Chromium)',
      run: async () => {
        if (!browser) throw new Error('no browser');
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        await context.addCookies([{ name: 'wh_session', value: cookie, url }]);
        const page = await context.newPage();
        page.setDefaultTimeout(60_000);
        // The page's clock: first pod row; input → the filtered row alone; click → the oldest pod first.
        await page.addInitScript(
          ({ target, oldest }: { target: string; oldest: string }) => {
            const w = window as unknown as Record<string, number | undefined>;
            const rows = (): NodeListOf<HTMLTableRowElement> =>
              document.querySelectorAll('table[aria-label="Pods"] tbody tr[data-name]');
            document.addEventListener('input', (e) => (w.whInput = e.timeStamp), true);
            document.addEventListener('click', (e) => (w.whClick = e.timeStamp), true);
            new MutationObserver(() => {
              const r = rows();
              const now = performance.now();
              if (w.whFirst === undefined && r.length > 0) w.whFirst = now;
              if (w.whInput !== undefined && w.whFiltered === undefined) {
                const count = document.querySelector('[aria-label="Pod count"]')?.textContent;
                if (r.length === 1 && r[0]?.dataset.name === target && count === '1 pod') w.whFiltered = now;
              }
              if (w.whClick !== undefined && w.whSorted === undefined && r[0]?.dataset.name === oldest)
                w.whSorted = now;
            }).observe(document, { subtree: true, childList: true, characterData: true });
          },
          { target, oldest },
        );
        await page.goto(`${url}/c/bench/pods`);
        await page.locator('table[aria-label="Pods"] tbody tr[data-name]').first().waitFor();
        const m0 = await page.evaluate(() => {
          const w = window as unknown as Record<string, number | undefined>;
          const page = performance
            .getEntriesByType('resource')
            .find((e) => e.name.includes('kind=Pod') && e.name.includes('limit=50'));
          return {
            first: w.whFirst ?? performance.now(),
            heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
            // Marked by the console (main.tsx): its scripts arrived and ran, React starts.
            main: performance.getEntriesByName('wh:main')[0]?.startTime ?? Number.NaN,
            pageAsked: page?.startTime ?? Number.NaN,
            code: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
              .filter((e) => /\.(js|css)$/.test(e.name) && e.startTime < (w.whFirst ?? Infinity))
              .map((e) => e.encodedBodySize),
          };
        });
        first.push(m0.first);
        scriptStart.push(m0.main);
        codeFiles = m0.code.length;
        codeBytes = m0.code.reduce((a, b) => a + b, 0);
        pageAsked.push(m0.pageAsked);
        heaps.push(m0.heap);
        if (first.length === 1) {
          // Where the first round's time went: each request's start and end in the page's clock.
          const trace = await page.evaluate(() =>
            performance
              .getEntriesByType('resource')
              .map(
                (e) =>
                  `${e.name.replace(/^https?:\/\/[^/]+/, '').slice(0, 70)} ${e.startTime.toFixed(0)}→${(e as PerformanceResourceTiming).responseEnd.toFixed(0)}`,
              ),
          );
          log(`first round, first row at ${m0.first.toFixed(0)} ms, main script ran at ${m0.main.toFixed(0)} ms`);
          log(`requests (ms):\n  ${trace.join('\n  ')}`);
        }
        await page.getByLabel('Filter by name').fill(target);
        await page.waitForFunction(() => (window as unknown as { whFiltered?: number }).whFiltered !== undefined);
        filter.push(
          await page.evaluate(() => {
            const w = window as unknown as Record<string, number>;
            return (w.whFiltered ?? 0) - (w.whInput ?? 0);
          }),
        );
        await page.getByLabel('Filter by name').fill('');
        await page.getByText(`${pods.toLocaleString('en-US')} pods`).waitFor();
        await page.getByRole('button', { name: 'Age' }).click();
        await page.waitForFunction(() => (window as unknown as { whSorted?: number }).whSorted !== undefined);
        sort.push(
          await page.evaluate(() => {
            const w = window as unknown as Record<string, number>;
            return (w.whSorted ?? 0) - (w.whClick ?? 0);
          }),
        );
        const heap = await page.evaluate(
          () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
        );
        heaps.push(heap);
        await context.close();
        // The Nodes page in a context of its own (a heap of its own, cold cache).
        const nodesContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        await nodesContext.addCookies([{ name: 'wh_session', value: cookie, url }]);
        const m = await nodesPage(await nodesContext.newPage(), `${url}/c/bench/nodes`, nodeTarget);
        nodesFirst.push(m.first);
        nodesSort.push(m.sort);
        nodesFilter.push(m.filter);
        nodesHeap.push(m.heap);
        nodesPodRequests = Math.max(nodesPodRequests, m.podRequests);
        nodesWholeRequests = Math.max(nodesWholeRequests, m.wholeNodeRequests);
        nodesWholeCounts = Math.max(nodesWholeCounts, m.wholeCountRequests);
        await nodesContext.close();
        // The Workloads page (600 Deployments, pods counted by the hub) and one node's page, each in a
        // fresh context: navigation → the first row holding its pod count / the node's first pod.
        const fresh = async (): Promise<Page> => {
          const ctx = await browser?.newContext({ viewport: { width: 1440, height: 900 } });
          if (!ctx) throw new Error('no browser');
          await ctx.addCookies([{ name: 'wh_session', value: cookie, url }]);
          return ctx.newPage();
        };
        const wp = await fresh();
        const w = await firstCellPage(
          wp,
          `${url}/c/bench/workloads`,
          'table[aria-label="Workloads"] tbody tr[data-name] td[data-col="pods"]',
          '^\\d+/\\d+$',
        );
        if (workloadsFirst.length === 0) log(`Workloads page, first round (ms):\n  ${w.trace.join('\n  ')}`);
        workloadsFirst.push(w.first);
        workloadsHeap.push(w.heap);
        workloadsPodRequests = Math.max(workloadsPodRequests, w.podRequests);
        await wp.context().close();
        const np = await fresh();
        const n = await firstCellPage(
          np,
          `${url}/c/bench/nodes/${oneNode}`,
          `table[aria-label="Pods on ${oneNode}"] tbody tr[data-name]`,
          '.',
        );
        if (nodeFirst.length === 0) log(`Node page, first round (ms):\n  ${n.trace.join('\n  ')}`);
        nodeFirst.push(n.first);
        nodeHeap.push(n.heap);
        nodePodRequests = Math.max(nodePodRequests, n.podRequests);
        await np.context().close();
        const dp = await fresh();
        const d = await firstCellPage(
          dp,
          `${url}/c/bench/w/Deployment/${workload.namespace}/${workload.name}`,
          'table[aria-label="Pods"] tbody tr[data-name]',
          '.',
        );
        if (workloadFirst.length === 0) log(`Workload page, first round (ms):\n  ${d.trace.join('\n  ')}`);
        workloadFirst.push(d.first);
        workloadHeap.push(d.heap);
        workloadWholeRequests = Math.max(workloadWholeRequests, d.podRequests);
        await dp.context().close();
        // One pod's page: the pod by name, then its ReplicaSet by name for the Deployment it links.
        const pp = await fresh();
        const o = await firstCellPage(
          pp,
          `${url}/c/bench/pods/${onePod.namespace}/${onePod.name}`,
          'dl.kv a[href*="/w/Deployment/"]',
          '.',
        );
        if (podFirst.length === 0) log(`Pod page, first round (ms):\n  ${o.trace.join('\n  ')}`);
        podFirst.push(o.first);
        podHeap.push(o.heap);
        podWholeRequests = Math.max(podWholeRequests, o.podRequests);
        await pp.context().close();
      },
    },
    baseline: {
      label: 'GET first page (HTTP)',
      run: async () => {
        const res = await fetch(`${url}/api/v1/clusters/bench/resources?kind=Pod&count=true&limit=100`, {
          headers: { cookie: `wh_session=${cookie}` },
        });
        const body = (await res.json()) as { items: unknown[]; total?: number };
        if (res.status !== 200 || body.total !== pods) throw new Error(`unexpected answer ${res.status}`);
      },
    },
    notes: () => {
      const f = summarize(first);
      const fi = summarize(filter);
      const so = summarize(sort);
      const mib = summarize(heaps).max / 1048576;
      const nf = summarize(nodesFirst);
      const ns = summarize(nodesSort);
      const nfi = summarize(nodesFilter);
      const nh = summarize(nodesHeap).max / 1048576;
      const wf = summarize(workloadsFirst);
      const wh = summarize(workloadsHeap).max / 1048576;
      const ndf = summarize(nodeFirst);
      const ndh = summarize(nodeHeap).max / 1048576;
      const wlf = summarize(workloadFirst);
      const wlh = summarize(workloadHeap).max / 1048576;
      const pf = summarize(podFirst);
      const ph = summarize(podHeap).max / 1048576;
      const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
      return [
        `first rows visible (navigation start → first pod row, page clock): median ${f.median.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(f.median <= TARGETS.firstRows)}`,
        `filter result (input → the one match shown and counted): median ${fi.median.toFixed(0)} ms, p99 ${fi.p99.toFixed(0)} ms — target ≤ ${TARGETS.filter} ms: ${verdict(fi.median <= TARGETS.filter)}`,
        `sort result (click Age → oldest pod first): median ${so.median.toFixed(0)} ms, p99 ${so.p99.toFixed(0)} ms — target ≤ ${TARGETS.sort} ms: ${verdict(so.median <= TARGETS.sort)}`,
        `start-up (Pods page, page clock): the console's main script ran at median ${summarize(scriptStart).median.toFixed(0)} ms, its first page of pods was asked at median ${summarize(pageAsked).median.toFixed(0)} ms; code loaded before the first row: ${codeFiles} files, ${(codeBytes / 1024).toFixed(1)} KiB as sent`,
        `JS heap (largest seen, after first rows and after the sort): ${mib.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(mib <= TARGETS.heapMiB)}`,
        `Nodes page (${nodes} nodes paged by the hub, ${nodesWholeRequests} whole node list requests; pod counts from the hub, ${nodesWholeCounts} whole-cluster pod count requests, ${nodesPodRequests} pod list requests), fresh context each round: first node row with its pod count median ${nf.median.toFixed(0)} ms, p99 ${nf.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(nf.median <= TARGETS.firstRows)}; sort (click Status → a node not ready first) median ${ns.median.toFixed(0)} ms, p99 ${ns.p99.toFixed(0)} ms — target ≤ ${TARGETS.sort} ms: ${verdict(ns.median <= TARGETS.sort)}; filter (${nodeTarget} typed → it alone, counted) median ${nfi.median.toFixed(0)} ms, p99 ${nfi.p99.toFixed(0)} ms — target ≤ ${TARGETS.filter} ms: ${verdict(nfi.median <= TARGETS.filter)}; JS heap (largest, network idle) ${nh.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(nh <= TARGETS.heapMiB)}`,
        `Workloads page (${DEPLOYMENTS} Deployments; pods counted by the hub, ${workloadsPodRequests} pod list requests), fresh context each round: first row with its pod count median ${wf.median.toFixed(0)} ms, p99 ${wf.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(wf.median <= TARGETS.firstRows)}; JS heap (largest, network idle) ${wh.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(wh <= TARGETS.heapMiB)}`,
        `Node page (${oneNode}, ${Math.ceil(pods / nodes)} pods on it; ${nodePodRequests} whole-cluster pod list requests), fresh context each round: first pod row median ${ndf.median.toFixed(0)} ms, p99 ${ndf.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(ndf.median <= TARGETS.firstRows)}; JS heap (largest, network idle) ${ndh.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(ndh <= TARGETS.heapMiB)}`,
        `Workload page (Deployment ${workload.namespace}/${workload.name}, ${Math.ceil(pods / DEPLOYMENTS)} pods; ${workloadWholeRequests} whole Pod/ReplicaSet/Job list requests), fresh context each round: first pod row median ${wlf.median.toFixed(0)} ms, p99 ${wlf.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(wlf.median <= TARGETS.firstRows)}; JS heap (largest, network idle) ${wlh.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(wlh <= TARGETS.heapMiB)}`,
        `Pod page (${onePod.namespace}/${onePod.name}; ${podWholeRequests} whole Pod/ReplicaSet/Job list requests), fresh context each round: first content (its Deployment's link) median ${pf.median.toFixed(0)} ms, p99 ${pf.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(pf.median <= TARGETS.firstRows)}; JS heap (largest, network idle) ${ph.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(ph <= TARGETS.heapMiB)}`,
      ];
    },
  });
}
