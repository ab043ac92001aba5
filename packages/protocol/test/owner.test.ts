import { describe, expect, it } from 'vitest';
import { ownerStep, resolveWorkload, type Owned } from '../src/core.js';

const ref = (kind: string, name: string) => ({ kind, name, uid: `${kind}-${name}` });
const owned = (...refs: ReturnType<typeof ref>[]): Owned => ({ ownerRefs: refs });

describe('the workload an object belongs to', () => {
  it('follows a ReplicaSet to its Deployment', () => {
    const pod = owned(ref('ReplicaSet', 'web-7d9f'));
    expect(ownerStep(pod)).toEqual(ref('ReplicaSet', 'web-7d9f'));
    expect(resolveWorkload(pod, owned(ref('Deployment', 'web')))).toEqual({ kind: 'Deployment', name: 'web' });
  });

  it('follows a Job to its CronJob (the shell-in-a-CronJob-pod bug)', () => {
    const pod = owned(ref('Job', 'nightly-29170000'));
    expect(ownerStep(pod)?.kind).toBe('Job');
    expect(resolveWorkload(pod, owned(ref('CronJob', 'nightly')))).toEqual({ kind: 'CronJob', name: 'nightly' });
  });

  it('stops at a ReplicaSet or Job that has no owner, or that is not known', () => {
    const pod = owned(ref('Job', 'once'));
    expect(resolveWorkload(pod, owned())).toEqual({ kind: 'Job', name: 'once' });
    expect(resolveWorkload(pod, undefined)).toEqual({ kind: 'Job', name: 'once' });
    expect(resolveWorkload(owned(ref('ReplicaSet', 'bare')), undefined)).toEqual({ kind: 'ReplicaSet', name: 'bare' });
  });

  it('takes StatefulSet, DaemonSet and other direct owners as they are, without a step', () => {
    for (const kind of ['StatefulSet', 'DaemonSet', 'Node']) {
      const pod = owned(ref(kind, 'x'));
      expect(ownerStep(pod)).toBeUndefined();
      // A step object passed by mistake is ignored: only ReplicaSets and Jobs are steps.
      expect(resolveWorkload(pod, owned(ref('Deployment', 'other')))).toEqual({ kind, name: 'x' });
    }
  });

  it('resolves a ReplicaSet or Job itself to its owner', () => {
    expect(resolveWorkload(owned(ref('Deployment', 'web')), undefined)).toEqual({ kind: 'Deployment', name: 'web' });
    expect(resolveWorkload(owned(ref('CronJob', 'nightly')), undefined)).toEqual({ kind: 'CronJob', name: 'nightly' });
  });

  it('has no workload for an object without owners, and uses the first owner only', () => {
    expect(ownerStep(owned())).toBeUndefined();
    expect(resolveWorkload(owned(), undefined)).toBeUndefined();
    expect(resolveWorkload(owned(ref('StatefulSet', 'db'), ref('ReplicaSet', 'x')), undefined)).toEqual({
      kind: 'StatefulSet',
      name: 'db',
    });
  });
});
