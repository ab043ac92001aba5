// patchPodWithRetry against the real API server: a pod changed between the read
// and the write (409 Conflict) is read and decided again, so neither write is
// lost; a pod that does not exist is 'gone'.
import { testNamespace } from '@wheelhouse/test-cluster/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergePatch, patchPodWithRetry } from '../src/kube.js';
import { core, createPods } from './cluster-helpers.js';

describe('patchPodWithRetry', () => {
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('eg-kube');
    await createPods(ns, ['web']);
  });

  it('decides again on a conflict instead of overwriting the other write', async () => {
    const seen: (string | undefined)[] = [];
    const r = await patchPodWithRetry(core, { namespace: ns, name: 'web' }, 'test', async (pod) => {
      seen.push(pod.metadata?.annotations?.['other-writer']);
      // Someone else writes between our read and our patch, once.
      if (seen.length === 1)
        await core.patchNamespacedPod(
          { namespace: ns, name: 'web', body: { metadata: { annotations: { 'other-writer': 'was-here' } } } },
          mergePatch,
        );
      return { metadata: { annotations: { mine: 'yes' } }, patched: seen.length };
    });
    expect(r).toMatchObject({ outcome: 'patched', value: 2 });
    // The second decision saw the other write: the first patch was refused with 409, not applied over it.
    expect(seen).toEqual([undefined, 'was-here']);
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'web' });
    expect(pod.metadata?.annotations).toMatchObject({ 'other-writer': 'was-here', mine: 'yes' });
  });

  it('gives up after maxAttempts conflicts with the API server error', async () => {
    let n = 0;
    const attempt = patchPodWithRetry(
      core,
      { namespace: ns, name: 'web' },
      'test',
      async () => {
        n++;
        await core.patchNamespacedPod(
          { namespace: ns, name: 'web', body: { metadata: { annotations: { bump: String(n) } } } },
          mergePatch,
        );
        return { metadata: { annotations: { never: 'applied' } }, patched: true };
      },
      3,
    );
    await expect(attempt).rejects.toMatchObject({ code: 409 });
    expect(n).toBe(3);
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'web' });
    expect(pod.metadata?.annotations?.never).toBeUndefined();
  });

  it("answers 'gone' for a pod that does not exist, without deciding anything", async () => {
    let decided = false;
    const r = await patchPodWithRetry(core, { namespace: ns, name: 'nobody' }, 'test', () => {
      decided = true;
      return { skip: 'x' };
    });
    expect(r).toEqual({ outcome: 'gone' });
    expect(decided).toBe(false);
  });
});
