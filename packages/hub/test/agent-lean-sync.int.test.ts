// A real `wheelhouse agent` process that only syncs, then runs an action, a
// live object read and a pod shell, never loads @kubernetes/client-node (its
// generated API costs ~70 MB of RSS): a module-loader hook in the agent
// process writes down every file of that library it loads. Along the way the
// agent's own list/watch path is checked end to end: pods created and deleted
// during and after the sync appear and disappear at the hub.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellPath } from '@wheelhouse/protocol';
import { WHEELHOUSE_CLI, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';
import type { Hub } from '../src/server.js';
import { startHub } from './support/hub-with-agent.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

/** node --import <register.mjs>: a load hook that appends each client-node file the process loads to `log`. */
function loadRecorder(dir: string, log: string): string {
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.includes('/@kubernetes/client-node/')) appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return register;
}

describe('an agent that syncs, acts and opens a shell without the Kubernetes client library', () => {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  const dir = mkdtempSync(join(tmpdir(), 'wh-lean-agent-'));
  const loaded = join(dir, 'client-node-files.txt');
  const cluster = 'lean';
  let hub: Hub;
  let url = '';
  let token = '';
  let ns = '';
  let agent: TestProcess | undefined;
  let rssSynced = 0;
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  /** The agent's RSS in its next memory sample (taken after a full GC). */
  const settledRss = async (): Promise<number> => {
    const seen = agent?.samples.length ?? 0;
    return eventually('a memory sample', () => Promise.resolve(agent?.samples[seen]?.rss), { timeoutMs: 10_000 });
  };

  const loadedFiles = (): string[] =>
    existsSync(loaded) ? readFileSync(loaded, 'utf8').split('\n').filter(Boolean) : [];
  const phase = async (name: string): Promise<string | undefined> => {
    const item = await hub.inventory.get(cluster, 'Pod', ns, name);
    const p = item?.summary.phase;
    return typeof p === 'string' ? p : item ? '?' : undefined;
  };
  const pod = (name: string) =>
    core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  };

  beforeAll(async () => {
    ns = await testNamespace('lean-agent');
    await pod('before');
    await pod('doomed');
    ({ hub, url } = await startHub());
    const created = await hub.clusters.create(cluster, 'test');
    if (!created) throw new Error('cluster exists');
    token = (await addUser(hub, { bindings: [{ role: 'operator' }] })).token;
    agent = startProcess(
      [
        '--import',
        loadRecorder(dir, loaded),
        WHEELHOUSE_CLI,
        'agent',
        '--hub',
        url,
        '--token',
        created.token,
        '--kubeconfig',
        kubeconfigFile(),
        '--tiers',
        'basic,podExec',
        '--log-level',
        'warn',
      ],
      { label: 'agent', sampleMemory: true },
    );
    // A pod created while the agent starts and lists.
    await pod('during');
    await eventually(
      'the pods in the hub inventory',
      async () => ((await phase('before')) && (await phase('during')) && (await phase('doomed')) ? true : undefined),
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(async () => {
    await agent?.kill9();
    await hub.close();
  });

  it('follows pods created and deleted after the sync', async () => {
    await pod('after');
    await core.deleteNamespacedPod({ namespace: ns, name: 'doomed', gracePeriodSeconds: 0 });
    await eventually(
      'after in, doomed out',
      async () => ((await phase('after')) && !(await phase('doomed')) ? true : undefined),
      { timeoutMs: 30_000 },
    );
    expect(loadedFiles(), agent?.output()).toEqual([]);
    rssSynced = await settledRss();
  });

  it('scales a Deployment, reads an object live and relays a shell, still without the library', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
        },
      },
    });
    await eventually('web in the inventory', async () =>
      (await hub.inventory.get(cluster, 'Deployment', ns, 'web')) ? true : undefined,
    );
    const posted = await call('POST', `/api/v1/clusters/${cluster}/actions`, {
      action: 'scale',
      target: { kind: 'Deployment', namespace: ns, name: 'web' },
      params: { replicas: 2 },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const done = await eventually(
      'the scale to finish',
      async () => {
        const c = (await call('GET', `/api/v1/actions/${String(posted.body.id)}`)).body;
        return ['succeeded', 'failed', 'rejected', 'expired'].includes(String(c.state)) ? c : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(done.state, JSON.stringify(done)).toBe('succeeded');
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(2);

    const read = await call('GET', `/api/v1/clusters/${cluster}/objects?kind=Pod&namespace=${ns}&name=before`);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(JSON.stringify(read.body)).toContain('name: before');

    await eventually('before Running', async () => ((await phase('before')) === 'Running' ? true : undefined));
    const u = new URL(shellPath(cluster, ns, 'before'), url.replace('http', 'ws'));
    u.searchParams.set('command', 'sh');
    const ws = new WebSocket(u, { headers: bearer(token) });
    let out = '';
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) out += data.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await eventually(
      'the shell to answer',
      () => {
        ws.send(Buffer.from('echo "lean-$((40 + 2))"\r'), { binary: true });
        return Promise.resolve(out.includes('lean-42') ? true : undefined);
      },
      { timeoutMs: 20_000, intervalMs: 1000 },
    );
    ws.close();

    expect(loadedFiles(), agent?.output()).toEqual([]);
    // What a user sees in `kubectl top`: the agent's memory after a GC, synced and after an action and a shell.
    const rssActed = await settledRss();
    process.stderr.write(
      `[agent-lean-sync] agent RSS after GC: synced ${mb(rssSynced)}, after an action and a shell ${mb(rssActed)}\n`,
    );
    // With @kubernetes/client-node loaded the agent sat at ~155 MB before it listed anything.
    expect(rssSynced).toBeLessThan(130e6);
    expect(rssActed).toBeLessThan(130e6);
  });
});
