// The annotate action cannot write any key containing wheelhouse.dev/ — in
// particular exec guard's (exec-guard.wheelhouse.dev/termination-time would move
// an eviction to 2099). The hub refuses the request naming params.key, and an
// agent handed such a command anyway (a hub bypassed) rejects it; the pod on the
// real cluster keeps its annotations.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRequest } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { validateActionRequest } from '../src/commands/command-service.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const RESERVED = [
  'exec-guard.wheelhouse.dev/termination-time',
  'exec-guard.wheelhouse.dev/interaction-timestamp',
  'wheelhouse.dev/commands',
  'team.wheelhouse.dev/anything',
];

describe('annotate refuses keys containing wheelhouse.dev/', () => {
  let p: Pipeline;
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('annotate-reserved');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'web', annotations: { 'example.com/keep': 'yes' } },
        spec: { containers: [{ name: 'app', image: 'registry.local/demo:1.0' }] },
      },
    });
    p = await startPipeline();
    await eventually('agent connected', async () => (await p.hub.clusters.get(p.cluster))?.connected);
  });
  afterAll(() => p.stop());

  const requestFor = (key: string): ActionRequest => ({
    action: 'annotate',
    target: { kind: 'Pod', namespace: ns, name: 'web' },
    params: { key, value: '2099-01-01T00:00:00Z' },
    dryRun: false,
    reason: 'live forever',
  });

  it('the hub refuses each with a 400 naming params.key', async () => {
    const cluster = await p.hub.clusters.get(p.cluster);
    if (!cluster) throw new Error('no cluster');
    for (const key of RESERVED) {
      let err: unknown;
      try {
        validateActionRequest(cluster, requestFor(key));
      } catch (e) {
        err = e;
      }
      expect(err, key).toMatchObject({
        statusCode: 400,
        message: expect.stringContaining(
          'params.key: keys containing wheelhouse.dev/ are reserved for Wheelhouse and exec guard',
        ) as unknown,
      });
    }
    // An ordinary key still passes.
    expect(() => validateActionRequest(cluster, requestFor('example.com/owner'))).not.toThrow();
  });

  it('the agent rejects such a command if it arrives anyway, and the pod is unchanged', async () => {
    const cluster = await p.hub.clusters.get(p.cluster);
    if (!cluster) throw new Error('no cluster');
    const req = requestFor('exec-guard.wheelhouse.dev/termination-time');
    const cmd = await p.hub.commands.create('tester', cluster, req, req.params);
    await p.hub.link.dispatchOutstanding(p.cluster);
    const done = await eventually('the command to finish', async () => {
      const c = await p.hub.commands.get(cmd.id);
      return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
    expect(done.state).toBe('rejected');
    expect(JSON.stringify(done.transitions.at(-1))).toContain('reserved for Wheelhouse and exec guard');
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'web' });
    expect(pod.metadata?.annotations?.['exec-guard.wheelhouse.dev/termination-time']).toBeUndefined();
    expect(pod.metadata?.annotations?.['example.com/keep']).toBe('yes');
  });
});
