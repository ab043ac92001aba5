// The terminal as a first-class client: the built CLI, run as a person runs
// it, against a hub and an agent on the real local cluster. What it prints
// and the exit code a script would test.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';
import { appendContainerLog, kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('wheelhouse in a terminal', () => {
  let hub: Hub;
  let agent: Agent;
  let url = '';
  let cluster = '';
  let ns = '';
  let adminToken = '';
  let viewerToken = '';

  /** Runs the built CLI; never throws: the exit code is part of what is checked. */
  const wh = (args: string[], token = adminToken, extraEnv: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          env: {
            ...process.env,
            WHEELHOUSE_HUB_URL: url,
            WHEELHOUSE_API_TOKEN: token,
            WHEELHOUSE_CLUSTER: cluster,
            XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
            ...extraEnv,
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? -1) : 0;
          resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
        },
      );
    });

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    });
    return (await res.json()) as T;
  };

  const user = async (username: string, role: 'account-admin' | 'viewer', namespace: string): Promise<string> => {
    const { user: u } = await createUser(hub.db, {
      username,
      passwordHash: 'x',
      mustChangePassword: false,
      createdBy: 'test',
    });
    await createBinding(hub.db, {
      userId: u.id,
      role,
      clusterPattern: '*',
      namespacePattern: namespace,
      createdBy: 'test',
    });
    return (await createApiToken(hub.db, { userId: u.id, name: 'cli' })).token;
  };

  beforeAll(async () => {
    ns = await testNamespace('cli-term');
    const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: 'web', image: 'registry.local/web:1' }],
              tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
            },
          },
        },
      },
    });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    adminToken = await user('oncall', 'account-admin', '*');
    viewerToken = await user('elsewhere', 'viewer', 'not-this-one');
    cluster = `c${Math.random().toString(36).slice(2, 8)}`;
    const created = await hub.clusters.create(cluster, 'test');
    if (!created) throw new Error('cluster exists');
    agent = await startAgent({
      hubUrl: url,
      token: created.token,
      kubeConfig: kubeConfig(),
      capabilities: { basic: true, advanced: true, podExec: false },
      log: pino({ level: 'silent' }),
      flushMs: 50,
    });
    await eventually(
      'web 2/2 ready in the hub inventory',
      async () => (await hub.inventory.get(cluster, 'Deployment', ns, 'web'))?.summary.readyReplicas === 2 || undefined,
      { timeoutMs: 60_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await agent.stop();
    await hub.close();
  });

  describe('get', () => {
    it('prints kubectl-like tables: deployments and pods with READY, STATUS, RESTARTS, AGE', async () => {
      const deploy = await wh(['get', 'deploy', '-n', ns]);
      expect(deploy).toMatchObject({ code: 0, stderr: '' });
      const [header, row, ...rest] = deploy.stdout.trimEnd().split('\n');
      expect(header).toBe('NAME   READY   UP-TO-DATE   AVAILABLE   AGE');
      expect(row).toMatch(/^web {4}2\/2 {5}2 {12}2 {11}\d+s$/);
      expect(rest).toEqual([]);

      const pods = await wh(['get', 'po', '-n', ns, '-l', 'app=web']);
      expect(pods.code).toBe(0);
      const lines = pods.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('NAME                   READY   STATUS    RESTARTS   AGE');
      expect(lines.slice(1)).toHaveLength(2);
      for (const l of lines.slice(1)) expect(l).toMatch(/^web-[a-z0-9]+-[a-z0-9]+ {3}1\/1 {5}Running {3}0 {10}\d+s$/);

      const wide = await wh(['get', 'pods', '-n', ns, '-o', 'wide']);
      expect(wide.stdout.split('\n')[0]).toMatch(/ {3}IP +NODE$/);
      expect(wide.stdout).toMatch(/kwok-node-\d/);

      const none = await wh(['get', 'po', '-n', ns, '-l', 'app=nothing']);
      expect(none).toEqual({ code: 0, stdout: '', stderr: `No resources found in ${ns} namespace.\n` });
    });

    it('-o json and -o yaml print the API objects exactly; one named object prints alone', async () => {
      const fromApi = await api<{ items: unknown[] }>(
        `/api/v1/clusters/${cluster}/resources?kind=Pod&namespace=${ns}&limit=1000`,
      );
      const json = await wh(['get', 'po', '-n', ns, '-o', 'json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ items: fromApi.items });
      const yaml = await wh(['get', 'po', '-n', ns, '-o', 'yaml']);
      expect(parseYaml(yaml.stdout)).toEqual({ items: fromApi.items });
      const one = await wh(['get', 'deploy/web', '-n', ns, '-o', 'json']);
      expect(JSON.parse(one.stdout)).toMatchObject({ kind: 'Deployment', name: 'web', namespace: ns });
    });

    it('-A lists every namespace with a NAMESPACE column; cluster-scoped kinds need no namespace', async () => {
      const all = await wh(['get', 'deploy', '-A']);
      expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE +NAME +READY/);
      expect(all.stdout).toContain(`${ns} `);
      const nodes = await wh(['get', 'no']);
      expect(nodes.stdout.split('\n')[0]).toMatch(/^NAME +STATUS +ROLES +AGE +VERSION$/);
      expect(nodes.stdout).toMatch(/kwok-node-0 +Ready/);
    });

    it('not found exits 3, no permission 4, a bad flag or kind 2, no credentials 5', async () => {
      const missing = await wh(['get', 'po', 'missing', '-n', ns]);
      expect(missing).toEqual({
        code: 3,
        stdout: '',
        stderr: `error: Pod "missing" not found in namespace "${ns}" (cluster ${cluster})\n`,
      });
      const missingJson = await wh(['get', 'po', 'missing', '-n', ns, '-o', 'json']);
      expect(missingJson.code).toBe(3);
      expect(JSON.parse(missingJson.stderr)).toMatchObject({ error: 'not_found', exitCode: 3, names: ['missing'] });

      const denied = await wh(['get', 'po', '-n', ns], viewerToken);
      expect(denied.code).toBe(4);
      expect(denied.stderr).toBe(
        `error: elsewhere lacks permission 'view' on cluster '${cluster}', namespace '${ns}'\n`,
      );
      const deniedJson = await wh(['get', 'po', '-n', ns, '-o', 'json'], viewerToken);
      expect(JSON.parse(deniedJson.stderr)).toMatchObject({ error: 'forbidden', permission: 'view', exitCode: 4 });

      const badFlag = await wh(['get', 'po', '--bogus']);
      expect(badFlag).toEqual({
        code: 2,
        stdout: '',
        stderr: "error: unknown option '--bogus'\nRun 'wheelhouse get --help' for usage.\n",
      });
      expect((await wh(['get', 'secrets'])).code).toBe(2);
      expect((await wh(['get', 'po', '-o', 'table'])).code).toBe(2);

      const noToken = await wh(['get', 'po'], '');
      expect(noToken.code).toBe(5);
      expect(noToken.stderr).toMatch(/^error: no API token/);
      const badToken = await wh(['get', 'po'], 'wht_not-a-token');
      expect(badToken.code).toBe(5);
    });
  });

  describe('timeline', () => {
    it("after a scale, shows the deployment's history with its pods, oldest first, filtered by type", async () => {
      const scaled = await wh([
        'action',
        'scale',
        'deploy/web',
        '-n',
        ns,
        '--param',
        'replicas=3',
        '--param',
        'timeoutSeconds=90',
        '--reason',
        'more',
      ]);
      expect(scaled.code, scaled.stderr).toBe(0);
      await eventually(
        'the new pod on the timeline',
        async () => (await wh(['timeline', 'deploy/web', '-n', ns])).stdout.includes('Pod/web-') || undefined,
        { timeoutMs: 60_000 },
      );
      const r = await wh(['timeline', 'deploy/web', '-n', ns]);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME +SEVERITY +TYPE +OBJECT +SUMMARY$/);
      const times = lines.slice(1).map((l) => l.slice(0, 20));
      for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect([...times].sort()).toEqual(times);
      expect(r.stdout).toMatch(/action +Deployment\/web +/);
      expect(r.stdout).toMatch(/spec-change +Deployment\/web +/);

      const changes = await wh(['timeline', 'deploy/web', '-n', ns, '--type', 'spec-change', '-o', 'json']);
      const events = (JSON.parse(changes.stdout) as { items: { type: string }[] }).items;
      expect(events.length).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.type))).toEqual(new Set(['spec-change']));

      expect((await wh(['timeline', 'deploy/nothing-here', '-n', ns])).code).toBe(3);
      expect((await wh(['timeline', 'deploy/web', '-n', ns, '--type', 'bogus'])).code).toBe(2);
      expect((await wh(['timeline', 'deploy/web', '-n', ns, '--since', 'yesterday'])).code).toBe(2);
      expect((await wh(['timeline', 'deploy/web', '-n', ns], viewerToken)).code).toBe(4);
    });
  });

  describe('logs', () => {
    it('deploy/x picks a pod like kubectl, says which, and prints its log as kubectl does', async () => {
      const r = await wh(['logs', 'deploy/web', '-n', ns, '--tail', '3']);
      expect(r.code).toBe(0);
      const pods = (await hub.inventory.query(cluster, { kind: 'Pod', namespace: ns, limit: 10 })).items.length;
      const chosen = new RegExp(`^Found ${pods} pods of deployment/web, using pod/(web-[a-z0-9-]+)\n$`).exec(
        r.stderr,
      )?.[1];
      expect(chosen, r.stderr).toBeDefined();
      const expected = (await kubectl(['-n', ns, 'logs', chosen ?? '', '--tail', '3'])).stdout;
      expect(expected.split('\n').filter(Boolean)).toHaveLength(3);
      expect(r.stdout).toBe(expected);

      const byPod = await wh(['logs', chosen ?? '', '-n', ns, '--tail', '1']);
      expect(byPod).toEqual({ code: 0, stdout: expected.split('\n').slice(-2).join('\n'), stderr: '' });
    });

    it('-f follows: a line written after it started shows up, and Ctrl-C ends it', async () => {
      const pod = (await hub.inventory.query(cluster, { kind: 'Pod', namespace: ns, limit: 10 })).items[0]?.name ?? '';
      const child = spawn(process.execPath, [CLI, 'logs', pod, '-n', ns, '-f', '--tail', '1'], {
        env: {
          ...process.env,
          WHEELHOUSE_HUB_URL: url,
          WHEELHOUSE_API_TOKEN: adminToken,
          WHEELHOUSE_CLUSTER: cluster,
          XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
        },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((r) =>
        child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))),
      );
      try {
        await eventually('the last line', () => Promise.resolve(out.length > 0 || undefined), { timeoutMs: 30_000 });
        const marker = `followed-${randomUUID()}`;
        await appendContainerLog([marker]);
        await eventually(`"${marker}" on stdout`, () => Promise.resolve(out.includes(`${marker}\n`) || undefined), {
          timeoutMs: 30_000,
        });
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).not.toBe(0);
    });

    it('--all-pods merges every pod of deploy/x, each line prefixed [pod/NAME/CONTAINER]; refuses other kinds', async () => {
      // As many pods as Kubernetes runs for the deployment (the timeline test scaled it), once the inventory agrees.
      const running = async () =>
        (await kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'name'])).stdout
          .trim()
          .split('\n')
          .map((l) => l.replace('pod/', ''))
          .sort();
      const listed = async () =>
        (await hub.inventory.query(cluster, { kind: 'Pod', namespace: ns, limit: 10 })).items.map((p) => p.name).sort();
      await expect
        .poll(async () => (await listed()).join() === (await running()).join(), { timeout: 60_000 })
        .toBe(true);
      const pods = await listed();
      expect(pods.length).toBeGreaterThanOrEqual(2);
      const r = await wh(['logs', 'deploy/web', '-n', ns, '--tail', '2', '--all-pods']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2 * pods.length);
      for (const pod of pods) {
        const own = (await kubectl(['-n', ns, 'logs', pod, '--tail', '2'])).stdout.trimEnd().split('\n');
        expect(lines.filter((l) => l.startsWith(`[pod/${pod}/web] `))).toEqual(own.map((l) => `[pod/${pod}/web] ${l}`));
      }
      // Piped: no colour codes; the joins are said on stderr.
      expect(r.stdout).not.toContain('\x1b[');
      expect(r.stderr).toContain(`+ [pod/${pods[0]}/web] following`);
      const cj = await wh(['logs', 'svc/web', '-n', ns, '--all-pods']);
      expect(cj.code).toBe(2);
      expect(cj.stderr).toMatch(/--all-pods: give deploy\/NAME, sts\/NAME, ds\/NAME or job\/NAME/);
    });

    it('--previous as kubectl; not found 3 (pod or container), no permission 4', async () => {
      const noPod = await wh(['logs', 'nothing-here', '-n', ns]);
      expect(noPod.code).toBe(3);
      expect(noPod.stderr).toBe(`error: Pod "nothing-here" not found in namespace "${ns}" (cluster ${cluster})\n`);
      const pod = (await hub.inventory.query(cluster, { kind: 'Pod', namespace: ns, limit: 10 })).items[0]?.name ?? '';
      const noContainer = await wh(['logs', pod, '-n', ns, '-c', 'nope']);
      expect(noContainer.code).toBe(3);
      expect(noContainer.stderr).toMatch(/^error: .*nope/);
      const denied = await wh(['logs', pod, '-n', ns], viewerToken);
      expect(denied.code).toBe(4);
      const previous = await wh(['logs', pod, '-n', ns, '--previous']);
      expect(previous.code).toBe(0);
      expect(previous.stdout).toBe((await kubectl(['-n', ns, 'logs', pod, '--previous'])).stdout);
      expect(previous.stdout).toContain('previous container instance');
    });
  });

  describe('actions and audit', () => {
    it('actions hides dry runs unless --previews; audit shows both, verifies and exports', async () => {
      const target = { kind: 'Deployment', namespace: ns, name: 'web' };
      const preview = await api<{ id: string }>(`/api/v1/clusters/${cluster}/actions`, {
        method: 'POST',
        body: JSON.stringify({
          action: 'annotate',
          target,
          params: { key: 'example.com/a', value: '1' },
          reason: 'look first',
          dryRun: true,
        }),
      });
      const real = await wh([
        'action',
        'annotate',
        'deploy/web',
        '-n',
        ns,
        '--param',
        'key=example.com/a',
        '--param',
        'value=1',
        '--reason',
        'cli test',
      ]);
      expect(real.code).toBe(0);
      const realId = /^action ([0-9a-f-]{36})$/m.exec(real.stderr)?.[1] ?? '';

      const list = await wh(['actions']);
      expect(list.code).toBe(0);
      expect(list.stdout.split('\n')[0]).toMatch(/^ID +ACTION +TARGET +STATE +BY +AGE$/);
      expect(list.stdout).toContain(realId);
      expect(list.stdout).toMatch(new RegExp(`${realId} +annotate +Deployment/${ns}/web +succeeded +oncall`));
      expect(list.stdout).not.toContain(preview.id);
      const withPreviews = await wh(['actions', '--previews']);
      expect(withPreviews.stdout.split('\n')[0]).toMatch(/^ID +ACTION +DRY RUN +TARGET/);
      expect(withPreviews.stdout).toMatch(new RegExp(`${preview.id} +annotate +yes `));
      const json = JSON.parse((await wh(['actions', '--previews', '-o', 'json'])).stdout) as {
        items: { id: string; dryRun: boolean }[];
      };
      expect(json.items.find((c) => c.id === preview.id)?.dryRun).toBe(true);

      const audit = await wh(['audit', '--mine', '--action', 'preview:*']);
      expect(audit.code).toBe(0);
      expect(audit.stdout.split('\n')[0]).toMatch(/^TIME +ACTOR +ACTION +OUTCOME +CLUSTER +TARGET$/);
      expect(audit.stdout).toMatch(new RegExp(`oncall +preview:annotate +requested +${cluster} +Deployment/${ns}/web`));
      expect(audit.stdout).not.toContain('action:annotate');

      const since = Date.now() - 60 * 60 * 1000;
      const recent = JSON.parse(
        (await wh(['audit', '--since', '1h', '--action', 'action:*', '-o', 'json'])).stdout,
      ) as {
        items: { at: number; action: string }[];
      };
      expect(recent.items.map((r) => r.action)).toContain('action:annotate');
      for (const r of recent.items) expect(r.at).toBeGreaterThanOrEqual(since - 60_000);
      expect((await wh(['audit', '--since', '1x'])).code).toBe(2);

      const verify = await wh(['audit', '--verify']);
      expect(verify.code).toBe(0);
      const records = Number(/^audit chain OK: (\d+) records/.exec(verify.stdout)?.[1]);
      expect(records).toBeGreaterThan(0);
      const dir = mkdtempSync(join(tmpdir(), 'wh-audit-'));
      const file = join(dir, 'audit.jsonl');
      const exported = await wh(['audit', '--export', file]);
      expect(exported.code).toBe(0);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(records);
      expect(exported.stderr).toBe(`Exported the audit log to ${file} (jsonl, ${lines.length} records).\n`);
      // An export never overwrites evidence.
      expect((await wh(['audit', '--export', file])).code).toBe(1);
      // The export takes the same filters as the listing.
      const onlyPreviews = join(dir, 'previews.csv');
      const filtered = await wh(['audit', '--export', onlyPreviews, '--actor', 'oncall', '--action', 'preview:*']);
      expect(filtered.code).toBe(0);
      const csv = readFileSync(onlyPreviews, 'utf8').trimEnd().split('\r\n');
      expect(csv[0]).toBe('seq,at,actor,action,cluster_id,target,params,reason,outcome,detail,key_id,prev_hash,hash');
      expect(csv.length).toBeGreaterThan(1);
      for (const row of csv.slice(1)) expect(row).toMatch(/^\d+,\d+,oncall,preview:annotate,/);
      expect(filtered.stderr).toBe(
        `Exported the selected audit records to ${onlyPreviews} (csv, ${csv.length - 1} records).\n`,
      );
      expect((await wh(['audit', '--verify', '--actor', 'x'])).code).toBe(2);
      expect((await wh(['audit', '--mine', '--actor', 'x'])).code).toBe(2);

      const denied = await wh(['audit'], viewerToken);
      expect(denied.code).toBe(4);
      expect(denied.stderr).toBe("error: elsewhere lacks permission 'audit:read' on every cluster (global scope)\n");
      // A dozen CLI processes: on a loaded machine each one's start alone takes seconds.
    }, 240_000);
  });

  it('cluster, user and token lists take -o too', async () => {
    const clusters = await wh(['cluster', 'list', '-o', 'json']);
    expect(JSON.parse(clusters.stdout)).toEqual({ items: (await api<{ items: unknown[] }>('/api/v1/clusters')).items });
    const table = await wh(['cluster', 'list', '-o', 'wide']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME +CONNECTED +KUBERNETES +AGENT +TIERS +LAST SEEN/);
    expect(table.stdout).toMatch(new RegExp(`^${cluster} +yes `, 'm'));
    const users = await wh(['user', 'list']);
    expect(users.stdout).toMatch(/^oncall +active +account-admin@\*\/\*/m);
    const tokens = await wh(['token', 'list', '-o', 'yaml']);
    expect((parseYaml(tokens.stdout) as { items: { name: string }[] }).items.map((t) => t.name)).toEqual(['cli']);
  });

  it('completion asks the hub for names, namespaces and clusters', async () => {
    expect((await wh(['__complete', 'names', 'deploy', '-n', ns])).stdout).toBe('web\n');
    expect((await wh(['__complete', 'namespaces'])).stdout.split('\n')).toContain(ns);
    expect((await wh(['__complete', 'clusters'])).stdout).toBe(`${cluster}\n`);
    // The hub refusing is no error at a TAB: nothing is offered.
    expect(await wh(['__complete', 'names', 'po', '-n', ns], viewerToken)).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
