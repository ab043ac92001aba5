// Time to first render of the console's workloads page in Chromium vs
// `kubectl get deployments` on the same cluster, with 200 Deployments (and
// their 200 pending pods) in the namespace. Console: a fresh browser context
// each round (cold HTTP cache, signed-in cookie), timed from navigation start
// until every workload row is in the DOM. kubectl: the pinned kubectl's wall
// time to print the same list. Notes: the entry bundle (gzip) and the page's
// JS heap.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { launchChromium } from '@wheelhouse/e2e/chromium';
import { createHub, type Hub } from '@wheelhouse/hub';
import { binaryPaths, up } from '@wheelhouse/test-cluster';
import { webAppDir } from '@wheelhouse/web';
import type { Benchmark } from '../harness.js';
import { summarize } from '../stats.js';
import { signInViewer } from './console-pods.js';

const run = promisify(execFile);
const NS = 'bench-console';
const WORKLOADS = 200;
const LAST = `svc-${String(WORKLOADS - 1).padStart(3, '0')}`;

/** gzip size of the JS and CSS index.html loads up front. */
export function entryBundleBytes(dir = webAppDir()): { js: number; css: number; lazy: number } {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
  const gz = (f: string): number => gzipSync(readFileSync(join(dir, f))).length;
  const all = readdirSync(join(dir, 'assets'))
    .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
    .map((f) => `assets/${f}`);
  return {
    js: entry.filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0),
    css: entry.filter((f) => f.endsWith('.css')).reduce((n, f) => n + gz(f), 0),
    lazy: all.filter((f) => !entry.includes(f)).reduce((n, f) => n + gz(f), 0),
  };
}

export async function consoleRenderBenchmark(): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const cluster = await up({ log });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const bins = await binaryPaths();
  let hub: Hub | undefined;
  let agent: Agent | undefined;
  let browser: Browser | undefined;
  let url = '';
  let cookie = '';
  const heaps: number[] = [];
  const rows: number[] = [];

  return {
    name: 'console-render',
    description: `console workloads page, first render of ${WORKLOADS} Deployments in Chromium (cold context) vs kubectl get deployments`,
    rounds: 15,
    warmup: 1,
    setup: async () => {
      await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
      const existing = new Set(
        (await apps.listNamespacedDeployment({ namespace: NS })).items.map((d) => d.metadata?.name),
      );
      for (let i = 0; i < WORKLOADS; i++) {
        const name = `svc-${String(i).padStart(3, '0')}`;
        if (existing.has(name)) continue;
        await apps.createNamespacedDeployment({
          namespace: NS,
          body: {
            metadata: { name },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: name } },
              // Never scheduled: the pods exist (and are listed) without loading the kwok nodes.
              template: {
                metadata: { labels: { app: name } },
                spec: {
                  nodeSelector: { 'kubernetes.io/hostname': 'no-such-node' },
                  containers: [{ name: 'app', image: `shop/${name}:1` }],
                },
              },
            },
          },
        });
      }
      hub = await createHub({ logger: false });
      await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = hub.app.server.address();
      url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      const created = await hub.clusters.create('bench', 'bench');
      if (!created) throw new Error('cluster exists');
      agent = await startAgent({
        hubUrl: url,
        token: created.token,
        kubeConfig: kc,
        capabilities: { basic: true, advanced: true, podExec: true },
        log: pino({ level: 'silent' }),
      });
      await agent.synced;
      cookie = await signInViewer(hub, url);
      browser = await launchChromium();
    },
    teardown: async () => {
      await browser?.close();
      await agent?.stop();
      await hub?.close();
    },
    subject: {
      label: 'console (Chromium, cold)',
      run: async () => {
        if (!browser) throw new Error('no browser');
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        await context.addCookies([{ name: 'wh_session', value: cookie, url }]);
        const page = await context.newPage();
        // The page's own clock: when the last row first exists in the DOM (Playwright's polling adds its own delay).
        await page.addInitScript((last: string) => {
          const w = window as unknown as { whRendered?: number };
          new MutationObserver((_m, obs) => {
            if (document.querySelector(`tr[data-name="${last}"]`)) {
              w.whRendered = performance.now();
              obs.disconnect();
            }
          }).observe(document, { subtree: true, childList: true });
        }, LAST);
        await page.goto(`${url}/c/bench/workloads?namespace=${NS}`);
        await page.locator(`table[aria-label="Workloads"] tbody tr[data-name="${LAST}"]`).waitFor({ timeout: 60_000 });
        const m = await page.evaluate(() => ({
          rendered: (window as unknown as { whRendered?: number }).whRendered ?? performance.now(),
          heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
        }));
        rows.push(m.rendered);
        heaps.push(m.heap);
        await context.close();
      },
    },
    baseline: {
      label: 'kubectl get deployments',
      run: async () => {
        await run(bins.kubectl, ['--kubeconfig', cluster.kubeconfig, 'get', 'deployments', '-n', NS], {
          maxBuffer: 64 * 1024 * 1024,
        });
      },
    },
    notes: () => {
      const b = entryBundleBytes();
      const r = summarize(rows);
      return [
        `first render in the page's clock (navigation start → all ${WORKLOADS} rows in the DOM): median ${r.median.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms`,
        `entry bundle: ${(b.js / 1024).toFixed(1)} KiB JS + ${(b.css / 1024).toFixed(1)} KiB CSS gzip; loaded on demand: ${(b.lazy / 1024).toFixed(1)} KiB gzip`,
        `JS heap after render: median ${(summarize(heaps).median / 1048576).toFixed(1)} MiB`,
      ];
    },
  };
}
