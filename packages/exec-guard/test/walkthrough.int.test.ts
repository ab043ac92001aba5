// The reference exec-drift walk-through (../../shared/REFERENCE.md, docs/exec-guard.md), typed as a
// user types it: the real kubectl binary with `kubectl pi` installed onto PATH by the documented
// `npm install -g`, a kubeconfig whose context namespace is the test's, and exec guard as the webhook.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { binaryPaths } from '@wheelhouse/test-cluster';
import { eventually, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecGuardHandle } from '../src/exec-guard.js';
import { INTERACTION_TIMESTAMP_LABEL, INTERACTOR_LABEL, TTL_LABEL } from '../src/labels.js';
import { rfc3339 } from '../src/pod-state.js';
import { routeExecsTo, startTestGuard, stopTestGuard, tempDir, uniqueName } from './cluster-helpers.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const TTL_SECONDS = 120; // the reference walk-through's 2m0s

describe('the reference exec-drift walk-through', () => {
  let ns: string;
  let guard: ExecGuardHandle;
  let dir: string;
  let removeWebhooks: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  let kubectlBin: string;

  /** `kubectl …` as typed in a shell: no --kubeconfig, no -n. */
  async function kubectl(...args: string[]): Promise<string> {
    const { stdout } = await run(kubectlBin, args, { env });
    return stdout;
  }

  /** The table `kubectl pi get` prints, as rows of columns (every cell is a single word). */
  const table = (stdout: string): string[][] =>
    stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));

  beforeAll(async () => {
    ns = await testNamespace('eg-walk');
    // A second namespace for the probe that waits for the API server to call exec guard, so that
    // the walk-through's namespace holds only the pod the walk-through creates.
    const probeNs = await testNamespace('eg-walk-probe');
    dir = await tempDir();
    guard = await startTestGuard(ns, join(dir, 'data'), {
      clientCaPath: undefined,
      ttlSeconds: TTL_SECONDS,
      namespaces: [ns, probeNs],
      leaderElection: {
        namespace: probeNs,
        name: uniqueName('lease'),
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 500,
      },
    });

    // `kubectl pi` onto PATH with the documented command (into a prefix of the test's own).
    const prefix = join(dir, 'global');
    await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', PACKAGE_DIR], {
      cwd: PACKAGE_DIR,
    });
    // The user's kubeconfig, its context pointing at the walk-through's namespace.
    const cfg = parse(await readFile(kubeconfigFile(), 'utf8')) as {
      contexts: { name: string; context: Record<string, unknown> }[];
      'current-context': string;
    };
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      stringify({
        ...cfg,
        contexts: cfg.contexts.map((c) =>
          c.name === cfg['current-context'] ? { ...c, context: { ...c.context, namespace: ns } } : c,
        ),
      }),
    );
    ({ kubectl: kubectlBin } = await binaryPaths());
    env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      PATH: `${join(prefix, 'bin')}:${dirname(kubectlBin)}:${dirname(process.execPath)}:/usr/bin:/bin`,
    };

    ({ removeWebhooks } = await routeExecsTo(guard, [ns, probeNs], probeNs, ['probe']));
  });

  afterAll(() => stopTestGuard(removeWebhooks, guard, dir));

  it('runs end to end: exec labels the pod, kubectl pi lists it and extends its eviction by 1m', async () => {
    expect(await kubectl('run', 'test', '--image=nginx')).toBe('pod/test created\n');
    await kubectl('wait', '--for=condition=Ready', 'pod/test', '--timeout=60s');

    await kubectl('exec', 'test', '--', 'touch', 'new-file');

    // kubectl get pod --show-labels: timestamp, interactor and TTL labels.
    const labelled = await eventually('the interaction labels', async () => {
      const out = await kubectl('get', 'pod', '--show-labels');
      return out.includes(INTERACTION_TIMESTAMP_LABEL) ? out : undefined;
    });
    const [header, row] = table(labelled);
    expect(header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'LABELS']);
    expect(row?.[0]).toBe('test');
    const labels = new Map(
      (row?.[5] ?? '')
        .split(',')
        .map((kv): [string, string] => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(labels.get(INTERACTOR_LABEL)).toBe('kwok-admin');
    expect(labels.get(TTL_LABEL)).toBe('2m0s');
    const interactedAt = Number(labels.get(INTERACTION_TIMESTAMP_LABEL)) * 1000;
    expect(Math.abs(interactedAt - Date.now())).toBeLessThan(30_000);
    const evictAt = rfc3339(interactedAt + TTL_SECONDS * 1000);

    // kubectl describe pod test: the Warning PodInteraction events.
    const described = await eventually('the interaction Events in kubectl describe', async () => {
      const out = await kubectl('describe', 'pod', 'test');
      return out.includes('Pod will be evicted at time') ? out : undefined;
    });
    expect(described).toMatch(
      new RegExp(
        `Warning\\s+PodInteraction\\s+.*Pod was interacted with 'kubectl exec/attach' command by a user 'kwok-admin' initially at time ${rfc3339(interactedAt)}`,
      ),
    );
    expect(described).toMatch(
      new RegExp(`Warning\\s+PodInteraction\\s+.*Pod will be evicted at time ${evictAt} \\(in about 1m\\d{1,2}s\\)`),
    );

    // kubectl pi get: no pod name, every interacted pod of the namespace.
    const before = table(await kubectl('pi', 'get'));
    expect(before).toEqual([
      ['POD-NAME', 'INTERACTOR', 'POD-TTL', 'EXTENSION', 'EXTENSION-REQUESTER', 'EVICTION-TIME'],
      ['test', 'kwok-admin', '2m0s', '<none>', '<none>', evictAt],
    ]);

    // kubectl pi extend --duration=1m: no pod name either.
    expect(await kubectl('pi', 'extend', '--duration=1m')).toBe(
      'Successfully extended the termination time of pod/test with a duration=1m\n',
    );

    const extendedAt = rfc3339(interactedAt + (TTL_SECONDS + 60) * 1000);
    expect(table(await kubectl('pi', 'get'))[1]).toEqual([
      'test',
      'kwok-admin',
      '2m0s',
      '1m',
      'kwok-admin',
      extendedAt,
    ]);

    const afterExtension = await eventually('the extension Events in kubectl describe', async () => {
      const out = await kubectl('describe', 'pod', 'test');
      return out.includes(`Pod will be evicted at time ${extendedAt}`) && out.includes('has been extended')
        ? out
        : undefined;
    });
    expect(afterExtension).toContain(
      `Pod eviction time has been extended by '1m', as requested from user 'kwok-admin'. New eviction time: ${extendedAt}`,
    );
    expect(afterExtension).toMatch(new RegExp(`Pod will be evicted at time ${extendedAt} \\(in about 2m\\d{1,2}s\\)`));
    // The pod is still there: eviction is minutes away.
    expect(await kubectl('get', 'pod', 'test', '-o', 'jsonpath={.status.phase}')).toBe('Running');
  });
});
