// Only exec guard sets its labels and annotations, and extensions are capped —
// on the real control plane, as a user who may create and update pods (a
// ServiceAccount with a Role) would try it: pre-set an interaction timestamp and
// a termination time in 2099 at CREATE, add them later with UPDATE, or ask for
// an extension of 100 years. Each is refused with a message naming the keys or
// the cap, and nothing changes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectl } from '@wheelhouse/test-cluster';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ExecGuardHandle } from '../src/exec-guard.js';
import {
  EXTENSION_REQUEST_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  TERMINATION_TIME_ANNOTATION,
  TTL_LABEL,
} from '../src/labels.js';
import {
  devKubeconfig,
  execIn,
  readPod,
  routeExecsTo,
  startTestGuard,
  stopTestGuard,
  tempDir,
  uniqueName,
} from './cluster-helpers.js';

const TTL_SECONDS = 600;

describe("exec guard's labels and annotations belong to exec guard", () => {
  let ns: string;
  let dir: string;
  let guard: ExecGuardHandle;
  let removeWebhooks: () => Promise<void>;
  let devCfg: string;

  /** kubectl as the ServiceAccount `dev`; resolves with stderr on failure instead of throwing. */
  const asDev = async (args: string[]): Promise<{ ok: boolean; out: string }> => {
    try {
      const r = await kubectl(['--kubeconfig', devCfg, '-n', ns, ...args]);
      return { ok: true, out: r.stdout };
    } catch (err) {
      return { ok: false, out: (err as { stderr?: string }).stderr ?? String(err) };
    }
  };

  const podYaml = (name: string, labels: Record<string, string>, annotations: Record<string, string>): string =>
    stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels, annotations },
      spec: { containers: [{ name: 'app', image: 'registry.local/demo:1.0' }], terminationGracePeriodSeconds: 0 },
    });

  const createAsDev = async (yaml: string): Promise<{ ok: boolean; out: string }> => {
    const file = join(dir, `${uniqueName('pod')}.yaml`);
    await writeFile(file, yaml);
    return asDev(['create', '-f', file]);
  };

  beforeAll(async () => {
    ns = await testNamespace('eg-keys');
    dir = await tempDir();
    guard = await startTestGuard(ns, join(dir, 'data'), {
      ttlSeconds: TTL_SECONDS,
      maxExtensionMs: 3600_000,
      maxTotalExtensionMs: 90 * 60_000,
    });
    ({ removeWebhooks } = await routeExecsTo(guard, [ns], ns, ['probe', 'plain', 'entered']));

    // `dev` may create, update and patch pods in the namespace — and nothing of exec guard's.
    devCfg = await devKubeconfig(ns, dir, ['get', 'list', 'create', 'patch', 'update'], 3600);
  });

  afterAll(() => stopTestGuard(removeWebhooks, guard, dir));

  it('refuses a pod created with a pre-set interaction timestamp and a termination time in 2099; nothing is created', async () => {
    const r = await createAsDev(
      podYaml(
        'forever',
        { app: 'x', [INTERACTION_TIMESTAMP_LABEL]: String(Math.floor(Date.now() / 1000)), [TTL_LABEL]: '10m0s' },
        { [TERMINATION_TIME_ANNOTATION]: '2099-01-01T00:00:00Z' },
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.out).toContain(
      `pod/forever cannot be created with ${INTERACTION_TIMESTAMP_LABEL}, ${TERMINATION_TIME_ANNOTATION}, ${TTL_LABEL}: only exec guard sets its labels and annotations`,
    );
    expect(await readPod(ns, 'forever')).toBeUndefined();

    // An annotation alone (no label an objectSelector could see) is refused too.
    const annotated = await createAsDev(
      podYaml('sneaky', { app: 'x' }, { [TERMINATION_TIME_ANNOTATION]: '2099-01-01T00:00:00Z' }),
    );
    expect(annotated.ok).toBe(false);
    expect(annotated.out).toContain(`cannot be created with ${TERMINATION_TIME_ANNOTATION}`);
    expect(await readPod(ns, 'sneaky')).toBeUndefined();

    // Pods without exec guard's keys are created as usual (the webhook is not even called for them).
    expect((await createAsDev(podYaml('ordinary', { app: 'x' }, { 'example.com/note': 'hi' }))).ok).toBe(true);
  });

  it('refuses adding exec guard labels or annotations to a pod by anyone but exec guard; the pod is unchanged', async () => {
    const before = await readPod(ns, 'plain');
    const label = await asDev(['label', 'pod/plain', `${INTERACTION_TIMESTAMP_LABEL}=4102444800`]);
    expect(label.ok).toBe(false);
    expect(label.out).toContain(`the label ${INTERACTION_TIMESTAMP_LABEL} can only be set by exec guard`);
    const ann = await asDev(['annotate', 'pod/plain', `${TERMINATION_TIME_ANNOTATION}=2099-01-01T00:00:00Z`]);
    expect(ann.ok).toBe(false);
    expect(ann.out).toContain(`the annotation ${TERMINATION_TIME_ANNOTATION} can only be changed by exec guard`);
    const after = await readPod(ns, 'plain');
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);

    // The pod still gets its real eviction time from exec guard on its first exec.
    await execIn(ns, 'plain', ['true']);
    const labelled = await eventually('plain to be labelled by exec guard', async () => {
      const p = await readPod(ns, 'plain');
      return p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] !== undefined ? p : undefined;
    });
    const ts = Number(labelled.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL]);
    expect(Date.parse(labelled.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '')).toBe(
      (ts + TTL_SECONDS) * 1000,
    );
  });

  it('caps each extension and the total, naming the cap; within the caps extensions still apply', async () => {
    await execIn(ns, 'entered', ['true']);
    const entered = await eventually('entered to be labelled', async () => {
      const p = await readPod(ns, 'entered');
      return p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] !== undefined ? p : undefined;
    });
    const t0 = Date.parse(entered.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '');

    const century = await asDev(['annotate', 'pod/entered', `${EXTENSION_REQUEST_ANNOTATION}=876000h`]);
    expect(century.ok).toBe(false);
    expect(century.out).toContain(`"876000h" is longer than the longest extension exec guard grants at once (1h0m0s)`);

    expect((await asDev(['annotate', 'pod/entered', `${EXTENSION_REQUEST_ANNOTATION}=1h`])).ok).toBe(true);
    await eventually('the 1h extension to be applied', async () => {
      const p = await readPod(ns, 'entered');
      return Date.parse(p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '') === t0 + 3600_000;
    });

    const more = await asDev(['annotate', '--overwrite', 'pod/entered', `${EXTENSION_REQUEST_ANNOTATION}=45m`]);
    expect(more.ok).toBe(false);
    expect(more.out).toContain(
      'pod/entered was already extended by 1h0m0s; all extensions together may add at most 1h30m0s (at most 30m0s more)',
    );
    expect((await asDev(['annotate', '--overwrite', 'pod/entered', `${EXTENSION_REQUEST_ANNOTATION}=30m`])).ok).toBe(
      true,
    );
    await eventually('the 30m extension to be applied', async () => {
      const p = await readPod(ns, 'entered');
      return Date.parse(p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '') === t0 + 90 * 60_000;
    });
    const none = await asDev(['annotate', '--overwrite', 'pod/entered', `${EXTENSION_REQUEST_ANNOTATION}=1s`]);
    expect(none.ok).toBe(false);
    expect(none.out).toContain('(none left)');
  });
});
