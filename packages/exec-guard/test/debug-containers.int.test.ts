// `kubectl debug` adds an ephemeral container (UPDATE pods/ephemeralcontainers):
// drift exactly like exec, and the known bypass of tools that watch only exec.
// On the real control plane (kwok does not run the container, but the API
// server accepts the subresource update and admission sees it), exec guard
// records it as an interaction — on by default — with its own wording.
import { kubectl } from '@wheelhouse/test-cluster';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecGuardHandle } from '../src/exec-guard.js';
import type { InteractionEvent } from '../src/events.js';
import { INTERACTION_TIMESTAMP_LABEL, INTERACTOR_ANNOTATION, TERMINATION_TIME_ANNOTATION } from '../src/labels.js';
import {
  counterValue,
  podEvents,
  readPod,
  routeExecsTo,
  startTestGuard,
  stopTestGuard,
  tempDir,
} from './cluster-helpers.js';

describe('exec guard records kubectl debug', () => {
  let ns: string;
  let guard: ExecGuardHandle;
  let dataDir: string;
  let removeWebhooks: () => Promise<void>;
  const interactions: InteractionEvent[] = [];

  beforeAll(async () => {
    ns = await testNamespace('eg-debug');
    dataDir = await tempDir();
    guard = await startTestGuard(ns, dataDir);
    guard.events.on('interaction', (e) => interactions.push(e));
    ({ removeWebhooks } = await routeExecsTo(guard, [ns], ns, ['probe', 'api']));
  });

  afterAll(() => stopTestGuard(removeWebhooks, guard, dataDir));

  it('labels the pod, announces "kubectl debug" with the container, image and target, and reports it for the timeline', async () => {
    const { stdout } = await kubectl([
      'debug',
      '-n',
      ns,
      'pod/api',
      '--image=registry.local/busybox:1.36',
      '--target=app',
      '--container=debugger',
      '--',
      'sh',
      '-c',
      'ps aux',
    ]);
    expect(stdout).toContain('Targeting container "app"');
    // The API server accepted the subresource update: the container is in the pod spec.
    const pod = await eventually('api to be labelled', async () => {
      const p = await readPod(ns, 'api');
      return p?.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL] !== undefined ? p : undefined;
    });
    expect(pod.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(['debugger']);
    expect(pod.metadata?.annotations?.[INTERACTOR_ANNOTATION]).toBe('kwok-admin');
    expect(pod.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION]).toBeDefined();

    const events = await eventually('two PodInteraction events', async () => {
      const ev = await podEvents(ns, 'api');
      return ev.length >= 2 ? ev : undefined;
    });
    expect(events.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /^Pod was interacted with 'kubectl debug' command by a user 'kwok-admin' initially at time \S+ \(ephemeral container 'debugger', image registry\.local\/busybox:1\.36, targeting container 'app'\)$/,
      ),
    );
    const e = interactions.find((x) => x.entry.pod === 'api');
    expect(e?.entry).toMatchObject({
      operation: 'debug',
      container: 'debugger',
      image: 'registry.local/busybox:1.36',
      targetContainer: 'app',
      command: ['sh', '-c', 'ps aux'],
      user: 'kwok-admin',
    });
    expect(e?.first).toBe(true);
    expect(await counterValue(guard.metrics, 'interactions', { operation: 'debug', outcome: 'recorded' })).toBe(1);
  });
});
