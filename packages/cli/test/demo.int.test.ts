// `wheelhouse demo` from the outside: it starts, prints the URL and a one-time
// password, shows the cluster connected with its workloads, runs an action,
// and stops cleanly on Ctrl-C (SIGINT), removing its webhook.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { CookieJar, dexPasswordLogin } from '@wheelhouse/test-cluster/dex';
import { eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const kc = kubeConfig();

describe('wheelhouse demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-demo-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: 'demo' })
      .catch(() => undefined);
  });

  /** Starts the demo and resolves with its output once it says it is running. */
  const startDemo = async (
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ proc: ChildProcess; output: () => string }> => {
    const proc = spawn(process.execPath, [CLI, 'demo', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(
      'the demo to be running',
      () => Promise.resolve(out.includes('Press Ctrl-C to stop.') || undefined),
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    return { proc, output: () => out };
  };
  const stop = async (proc: ChildProcess): Promise<number | null> => {
    proc.kill('SIGINT');
    return new Promise((r) => proc.once('exit', r));
  };

  it('connects to the cluster of --kubeconfig without seeding it, and restarts from its data directory in seconds', async () => {
    const ns = await testNamespace('demo-ext');
    const dir = mkdtempSync(join(tmpdir(), 'wh-demo-ext-'));
    try {
      const args = [
        '--listen',
        `127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}`,
        '--data-dir',
        dir,
        '--kubeconfig',
        kubeconfigFile(),
        '--exec-guard-namespaces',
        ns,
      ];
      const first = await startDemo(args, process.env);
      expect(first.output()).toContain(`[demo] using ${kubeconfigFile()}`);
      expect(first.output()).toMatch(/sign in:\s+admin \/ \S+/);
      expect(await stop(first.proc)).toBe(0);
      // Nothing was seeded in a cluster that is not the local demo cluster.
      const seeded = await kc
        .makeApiClient(k8s.CoreV1Api)
        .readNamespace({ name: 'demo' })
        .then(
          () => true,
          () => false,
        );
      expect(seeded).toBe(false);
      const second = await startDemo(args, process.env);
      const seconds = Number(/Wheelhouse is running \(([\d.]+)s\)/.exec(second.output())?.[1]);
      expect(seconds).toBeLessThan(15);
      expect(second.output()).toContain(
        `the first start's one-time password is in ${join(dir, 'initial-admin-password')}`,
      );
      expect(await stop(second.proc)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--sso starts Dex with an SRE and a developer, prints how to sign in, and group mapping decides their roles', async () => {
    const ns = await testNamespace('demo-sso');
    const dir = mkdtempSync(join(tmpdir(), 'wh-demo-sso-'));
    try {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const args = ['--sso', '--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--kubeconfig', kubeconfigFile()];
      const demo = await startDemo([...args, '--exec-guard-namespaces', ns], process.env);
      const out = demo.output();
      expect(out).toMatch(
        /SSO:\s+Dex at http:\/\/127\.0\.0\.1:\d+\/dex; on the sign-in page choose "Sign in with Dex"/,
      );
      expect(out).toContain(`CLI: wheelhouse login --sso --hub http://127.0.0.1:${port}`);
      const people = [...out.matchAll(/(\S+@demo\.wheelhouse) \/ (\S+)\s+groups: (\S+)/g)].map((m) => ({
        email: m[1] ?? '',
        password: m[2] ?? '',
        group: m[3] ?? '',
      }));
      expect(people.map((p) => [p.email, p.group])).toEqual([
        ['sre@demo.wheelhouse', 'sre'],
        ['dev@demo.wheelhouse', 'developers'],
      ]);
      const url = `http://127.0.0.1:${port}`;
      const rolesOf = async (person: { email: string; password: string }): Promise<string[]> => {
        const jar = new CookieJar();
        const start = await fetch(`${url}/api/v1/auth/oidc/login`, { redirect: 'manual' });
        jar.store(start);
        const back = await dexPasswordLogin(start.headers.get('location') ?? '', person);
        const cb = await fetch(back, { redirect: 'manual', headers: { cookie: jar.header() } });
        jar.store(cb);
        const me = (await (await fetch(`${url}/api/v1/me`, { headers: { cookie: jar.header() } })).json()) as {
          bindings: { role: string }[];
        };
        return me.bindings.map((b) => b.role);
      };
      expect(await rolesOf(people[0] ?? { email: '', password: '' })).toEqual(['operator']);
      expect(await rolesOf(people[1] ?? { email: '', password: '' })).toEqual(['viewer']);
      expect(await stop(demo.proc)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the product end to end and stops cleanly', async () => {
    const ns = await testNamespace('demo');
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'app-config' } } });
    const port = 20000 + Math.floor(Math.random() * 20000);
    // KUBECONFIG unset: the demo finds the running local cluster itself (and must not stop it).
    const env = { ...process.env };
    delete env.KUBECONFIG;
    child = spawn(
      process.execPath,
      [CLI, 'demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--exec-guard-namespaces', ns],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(
      'the demo to be running',
      () => Promise.resolve(out.includes('Press Ctrl-C to stop.') || undefined),
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    const url = /console:\s+(http:\/\/\S+?)\/\s/.exec(out)?.[1] ?? '';
    const password = /admin \/ (\S+)/.exec(out)?.[1] ?? '';
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(password.length).toBeGreaterThanOrEqual(10);
    expect(out).toContain(`kubectl:  export KUBECONFIG=${kubeconfigFile()}`);
    // The printed URL opens the web console (the hub serves the Vite build; any app path gets the app).
    const page = await fetch(`${url}/c/local/workloads`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<div id="root"></div>');

    // Sign in with the printed password, replace it, get a token.
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const session = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
    expect(
      (
        await fetch(`${url}/api/v1/auth/password`, {
          method: 'POST',
          headers: session,
          body: JSON.stringify({ current: password, next: 'demo-password-123' }),
        })
      ).status,
    ).toBe(204);
    const { token } = (await (
      await fetch(`${url}/api/v1/tokens`, {
        method: 'POST',
        headers: session,
        body: JSON.stringify({ name: 'demo-test', password: 'demo-password-123' }),
      })
    ).json()) as { token: string };
    const api = async (path: string, init: RequestInit = {}): Promise<Record<string, unknown>> =>
      (await (
        await fetch(`${url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        })
      ).json()) as Record<string, unknown>;

    const cluster = await api('/api/v1/clusters/local');
    expect(cluster).toMatchObject({
      name: 'local',
      connected: true,
      capabilities: { basic: true, advanced: true, podExec: true },
    });
    const nodes = (await api('/api/v1/clusters/local/resources?kind=Node')) as { items: { name: string }[] };
    expect(nodes.items.map((n) => n.name)).toEqual(expect.arrayContaining(['kwok-node-0']));
    // The seeded demo workloads are in the hub's inventory, with their history.
    const workloads = await eventually('the demo workloads at the hub', async () => {
      const d = (await api('/api/v1/clusters/local/resources?namespace=demo&kind=Deployment')) as {
        items: { name: string; summary: { revision?: string } }[];
      };
      return d.items.length === 3 ? d.items : undefined;
    });
    expect(workloads.map((w) => w.name)).toEqual(['checkout', 'payments-worker', 'storefront']);
    expect(workloads.find((w) => w.name === 'storefront')?.summary.revision).toBe('3');
    const kinds = async (kind: string) =>
      (
        (await api(`/api/v1/clusters/local/resources?namespace=demo&kind=${kind}`)) as { items: { name: string }[] }
      ).items.map((i) => i.name);
    expect(await kinds('StatefulSet')).toEqual(['ledger-db']);
    expect(await kinds('CronJob')).toEqual(['nightly-report']);
    expect(await kinds('PodDisruptionBudget')).toEqual(['checkout']);
    await eventually('the crash loop on the timeline', async () => {
      const t = (await api(
        '/api/v1/clusters/local/timeline?namespace=demo&kind=Deployment&name=payments-worker&type=container-restart',
      )) as { items: unknown[] };
      return t.items.length > 0 || undefined;
    });

    const accepted = await api('/api/v1/clusters/local/actions', {
      method: 'POST',
      body: JSON.stringify({
        action: 'annotate',
        target: { kind: 'ConfigMap', namespace: ns, name: 'app-config' },
        params: { key: 'example.com/checked-by', value: 'demo-test' },
        reason: 'demo test',
      }),
    });
    const done = await eventually('the action to finish', async () => {
      const c = await api(`/api/v1/actions/${String(accepted.id)}`);
      return ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state as string) ? c : undefined;
    });
    expect(done.state).toBe('succeeded');

    const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    const name = `wheelhouse-demo-exec-guard-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
    const mine = async () =>
      (await admission.listValidatingWebhookConfiguration()).items.filter((w) => w.metadata?.name === name);
    expect(await mine()).toHaveLength(1);

    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child?.once('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('[demo] stopped');
    expect(await mine()).toEqual([]);
    // The cluster it found running is still running.
    expect((await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion).toMatch(/^v1\./);
  });
});
