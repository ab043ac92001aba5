// `kubectl pi` as users run it: the built kubectl-pi executable, as a child
// process and as a real kubectl plugin on PATH, against the local cluster with
// exec guard applying the extensions it requests.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { binaryPaths, kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecGuardHandle } from '../src/exec-guard.js';
import {
  EXTENSION_ANNOTATION,
  EXTENSION_REQUESTER_ANNOTATION,
  EXTENSION_REQUEST_ANNOTATION,
  TERMINATION_TIME_ANNOTATION,
} from '../src/labels.js';
import {
  createPods,
  devKubeconfig,
  execIn,
  podEvents,
  readPod,
  routeExecsTo,
  startTestGuard,
  stopTestGuard,
  tempDir,
  uniqueName,
} from './cluster-helpers.js';

const run = promisify(execFile);
const PI = fileURLToPath(new URL('../dist/src/kubectl-pi.js', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function pi(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [PI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const rowsOf = (stdout: string): string[][] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{3,}|\s+(?=\S)/));

describe('kubectl pi', () => {
  let ns: string;
  let guard: ExecGuardHandle;
  let dir: string;
  let removeWebhooks: () => Promise<void>;
  let kcfg: string;

  beforeAll(async () => {
    ns = await testNamespace('eg-pi');
    dir = await tempDir();
    kcfg = kubeconfigFile();
    guard = await startTestGuard(ns, join(dir, 'data'), {
      clientCaPath: undefined,
      ttlSeconds: 300,
      leaderElection: {
        namespace: ns,
        name: uniqueName('lease'),
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 500,
      },
    });
    ({ removeWebhooks } = await routeExecsTo(guard, [ns], ns, ['probe', 'api', 'worker', 'untouched']));
    await execIn(ns, 'api');
    await execIn(ns, 'worker');
    await eventually('api and worker to be labelled', async () => {
      const pods = await Promise.all(['api', 'worker'].map((n) => readPod(ns, n)));
      return pods.every((p) => p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] !== undefined);
    });
  });

  afterAll(() => stopTestGuard(removeWebhooks, guard, dir));

  it('get prints the interaction table for named pods', async () => {
    const r = await pi(['--kubeconfig', kcfg, 'get', 'api', 'worker', '-n', ns]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]?.split(/\s+/)).toEqual([
      'POD-NAME',
      'INTERACTOR',
      'POD-TTL',
      'EXTENSION',
      'EXTENSION-REQUESTER',
      'EVICTION-TIME',
    ]);
    const api = await readPod(ns, 'api');
    expect(lines[1]?.split(/\s+/)).toEqual([
      'api',
      'kwok-admin',
      '5m0s',
      '<none>',
      '<none>',
      api?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION],
    ]);
    expect(lines[2]?.split(/\s+/)[0]).toBe('worker');
    // Columns line up like kubectl's.
    expect(lines[1]?.indexOf('kwok-admin')).toBe(lines[0]?.indexOf('INTERACTOR'));
  });

  it('get without pod names, like get --all, lists every interacted pod in the namespace and only those', async () => {
    const podsIn = (stdout: string): (string | undefined)[] =>
      rowsOf(stdout)
        .slice(1)
        .map((row) => row[0])
        .sort();
    const bare = await pi(['--kubeconfig', kcfg, 'get', '-n', ns]);
    expect(bare.stderr).toBe('');
    expect(bare.code).toBe(0);
    expect(podsIn(bare.stdout)).toEqual(['api', 'probe', 'worker']);
    const all = await pi(['--kubeconfig', kcfg, 'get', '--all', '-n', ns]);
    expect(all.code).toBe(0);
    expect(podsIn(all.stdout)).toEqual(['api', 'probe', 'worker']);
    // -a forces all: the names are ignored (and said so), as in the reference plugin.
    const forced = await pi(['--kubeconfig', kcfg, 'get', '-a', 'api', '-n', ns]);
    expect(forced.code).toBe(0);
    expect(podsIn(forced.stdout)).toEqual(['api', 'probe', 'worker']);
    expect(forced.stderr.trim()).toBe('warning: --all given, ignoring the pod names (api)');
  });

  it('get and extend without pod names in a namespace with no interacted pod say so, naming the namespace', async () => {
    const empty = await testNamespace('eg-pi-empty');
    await createPods(empty, ['idle']);
    for (const args of [['get'], ['extend', '-d', '1m']]) {
      const r = await pi(['--kubeconfig', kcfg, ...args, '-n', empty]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(`No interacted pods found in namespace ${empty}.`);
    }
    // Nothing was requested of the idle pod.
    expect((await readPod(empty, 'idle'))?.metadata?.annotations?.[EXTENSION_REQUEST_ANNOTATION]).toBeUndefined();
  });

  it('get fails clearly for a pod never interacted with and for a missing pod', async () => {
    const r = await pi(['--kubeconfig', kcfg, 'get', 'untouched', 'nope', 'api', '-n', ns]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: pod/untouched in namespace "${ns}" has not been interacted with`);
    expect(r.stderr).toContain(`error: pod "nope" not found in namespace "${ns}"`);
    expect(r.stdout).toContain('api'); // the good one is still printed
    expect(r.stdout).not.toContain('worker'); // names given: only those
  });

  it('extend moves the eviction time, records the requester and announces it', async () => {
    const before = Date.parse((await readPod(ns, 'api'))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '');
    const r = await pi(['--kubeconfig', kcfg, 'extend', '-d', '1m', 'api', '-n', ns]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('Successfully extended the termination time of pod/api with a duration=1m');
    const pod = await readPod(ns, 'api');
    const ann = pod?.metadata?.annotations ?? {};
    expect(Date.parse(ann[TERMINATION_TIME_ANNOTATION] ?? '')).toBe(before + 60_000);
    expect(ann[EXTENSION_ANNOTATION]).toBe('1m');
    expect(ann[EXTENSION_REQUESTER_ANNOTATION]).toBe('kwok-admin');
    expect(ann[EXTENSION_REQUEST_ANNOTATION]).toBeUndefined();
    const event = await eventually('the extension Event', async () =>
      (await podEvents(ns, 'api')).find((e) => e.message?.startsWith("Pod eviction time has been extended by '1m'")),
    );
    expect(event.message).toBe(
      `Pod eviction time has been extended by '1m', as requested from user 'kwok-admin'. New eviction time: ${ann[TERMINATION_TIME_ANNOTATION]}`,
    );
    const table = await pi(['--kubeconfig', kcfg, 'get', 'api', '-n', ns]);
    expect(table.stdout.trim().split('\n')[1]?.split(/\s+/).slice(3)).toEqual([
      '1m',
      'kwok-admin',
      ann[TERMINATION_TIME_ANNOTATION],
    ]);
  });

  it('extend without pod names extends every interacted pod of the namespace (default duration 30m)', async () => {
    const before = new Map<string, number>();
    for (const n of ['api', 'probe', 'worker'])
      before.set(n, Date.parse((await readPod(ns, n))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? ''));
    const r = await pi(['--kubeconfig', kcfg, 'extend', '-n', ns]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').sort();
    expect(lines).toEqual(
      ['api', 'probe', 'worker'].map(
        (n) => `Successfully extended the termination time of pod/${n} with a duration=30m`,
      ),
    );
    for (const [n, t] of before) {
      expect(Date.parse((await readPod(ns, n))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '')).toBe(
        t + 30 * 60_000,
      );
    }
    expect((await readPod(ns, 'untouched'))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION]).toBeUndefined();
  });

  it('extend --all extends every interacted pod; with names, only those', async () => {
    const termination = async (n: string): Promise<number> =>
      Date.parse((await readPod(ns, n))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '');
    const [api, probe, worker] = await Promise.all(['api', 'probe', 'worker'].map(termination));
    const named = await pi(['--kubeconfig', kcfg, 'extend', '-d', '10s', 'probe', '-n', ns]);
    expect(named.code).toBe(0);
    expect(await termination('probe')).toBe((probe ?? 0) + 10_000);
    expect(await termination('api')).toBe(api);
    const all = await pi(['--kubeconfig', kcfg, 'extend', '--all', '-d', '5s', '-n', ns]);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toHaveLength(3);
    expect(await Promise.all(['api', 'probe', 'worker'].map(termination))).toEqual([
      (api ?? 0) + 5_000,
      (probe ?? 0) + 15_000,
      (worker ?? 0) + 5_000,
    ]);
  });

  it('extend rejects a bad duration, a pod never interacted with and a missing pod, with a non-zero exit', async () => {
    const bad = await pi(['--kubeconfig', kcfg, 'extend', '-d', 'soon', 'api', '-n', ns]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid duration "soon"');
    const zero = await pi(['--kubeconfig', kcfg, 'extend', '-d', '0s', 'api', '-n', ns]);
    expect(zero.code).toBe(1);
    const untouched = await pi(['--kubeconfig', kcfg, 'extend', '-d', '5m', 'untouched', '-n', ns]);
    expect(untouched.code).toBe(1);
    expect(untouched.stderr).toContain('has not been interacted with');
    const missing = await pi(['--kubeconfig', kcfg, 'extend', '-d', '5m', 'ghost', '-n', ns]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('pod "ghost" not found');
  });

  it("the UPDATE hook denies an invalid extension written directly, and protects exec guard's annotations from other users", async () => {
    const direct = await kubectl([
      'annotate',
      '-n',
      ns,
      'pod/worker',
      `${EXTENSION_REQUEST_ANNOTATION}=tomorrow`,
    ]).catch((e: unknown) => e as { stderr: string });
    expect((direct as { stderr?: string }).stderr).toContain(
      `annotation ${EXTENSION_REQUEST_ANNOTATION}: invalid duration "tomorrow"`,
    );

    // Another identity with permission to patch pods still cannot move the eviction time by hand.
    const devCfg = await devKubeconfig(ns, dir, ['get', 'list', 'patch', 'update'], 600);
    const tamper = await kubectl([
      '--kubeconfig',
      devCfg,
      'annotate',
      '--overwrite',
      'pod/worker',
      `${TERMINATION_TIME_ANNOTATION}=2099-01-01T00:00:00Z`,
    ]).catch((e: unknown) => e as { stderr: string });
    expect((tamper as { stderr?: string }).stderr).toContain(
      `${TERMINATION_TIME_ANNOTATION} can only be changed by exec guard`,
    );
    // The same identity may request an extension; the requester is recorded as itself.
    const ext = await pi(['--kubeconfig', devCfg, 'extend', '-d', '45s', 'worker']);
    // stderr in the comparison, so that a failure says why.
    expect({ stdout: ext.stdout.trim(), stderr: ext.stderr }).toEqual({
      stdout: 'Successfully extended the termination time of pod/worker with a duration=45s',
      stderr: '',
    });
    expect((await readPod(ns, 'worker'))?.metadata?.annotations?.[EXTENSION_REQUESTER_ANNOTATION]).toBe(
      `system:serviceaccount:${ns}:dev`,
    );
  });

  it('honours --kubeconfig, --context and --cluster, and the context namespace', async () => {
    const cfg = parse(await readFile(kcfg, 'utf8')) as {
      clusters: { name: string; cluster: Record<string, unknown> }[];
      contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
      'current-context': string;
    };
    const real = cfg.contexts.find((c) => c.name === cfg['current-context']) ?? cfg.contexts[0];
    const realCluster = real?.context.cluster ?? '';
    const multi = {
      ...cfg,
      clusters: [
        ...cfg.clusters,
        { name: 'broken', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
      ],
      contexts: [
        { name: 'broken-ctx', context: { cluster: 'broken', user: real?.context.user ?? '' } },
        { name: 'good', context: { cluster: realCluster, user: real?.context.user ?? '', namespace: ns } },
      ],
      'current-context': 'broken-ctx',
    };
    const path = join(dir, 'multi.kubeconfig');
    await writeFile(path, stringify(multi));
    const broken = await pi(['--kubeconfig', path, 'get', '--all', '-n', ns]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/ECONNREFUSED|connect/);
    // No -n: the namespace comes from the context.
    const byContext = await pi(['--kubeconfig', path, '--context', 'good', 'get']);
    expect(byContext.code).toBe(0);
    expect(byContext.stdout).toContain('api');
    const byCluster = await pi(['--kubeconfig', path, '--cluster', realCluster, '-n', ns, 'get', 'api']);
    expect(byCluster.code).toBe(0);
    expect(byCluster.stdout).toContain('api');
    const viaEnv = await pi(['--context', 'good', 'get', 'api'], { KUBECONFIG: path });
    expect(viaEnv.code).toBe(0);
    const noCtx = await pi(['--kubeconfig', path, '--context', 'missing', 'get']);
    expect(noCtx.code).toBe(1);
    expect(noCtx.stderr).toContain('context "missing" does not exist');
  });

  it('installs onto PATH with the documented `npm install -g`, and kubectl finds it as the plugin `pi`', async () => {
    // The documented command, with --prefix so the test installs into its own directory.
    const prefix = join(dir, 'global');
    await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', PACKAGE_DIR], {
      cwd: PACKAGE_DIR,
    });
    const bin = join(prefix, 'bin');
    // Only the install directory and node's own: kubectl must find the plugin there.
    const env = { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin` };
    const { kubectl: kubectlBin } = await binaryPaths();
    const list = await run(kubectlBin, ['plugin', 'list'], { env });
    expect(list.stdout).toContain(join(bin, 'kubectl-pi'));
    const { stdout } = await run(kubectlBin, ['pi', '--kubeconfig', kcfg, 'get', '-n', ns], { env });
    expect(stdout.split('\n')[0]).toMatch(/^POD-NAME\s+INTERACTOR/);
    expect(
      rowsOf(stdout)
        .slice(1)
        .map((row) => row[0]),
    ).toEqual(['api', 'probe', 'worker']);
  });
});
