import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CommandEnvelope } from '@wheelhouse/protocol';
import type { KubeObject } from '../src/projections.js';
import { planDrain } from '../src/actions/drain-plan.js';
import { jobFromCronJob, jobFromJob, triggeredJobName } from '../src/actions/job-build.js';
import { chooseRevision, templateOfControllerRevision, templateOfReplicaSet } from '../src/actions/rollback.js';
import { rolloutState } from '../src/actions/rollout.js';
import { scaleWarnings } from '../src/actions/scale.js';
import { mergePatchBetween } from '../src/actions/util.js';

const command: CommandEnvelope = {
  id: 'abcdef12-3456-4789-8abc-def012345678',
  action: 'trigger-job',
  target: { kind: 'Job', namespace: 'n', name: 'x' },
  params: {},
  reason: 'why',
  dryRun: false,
  requestedBy: 'alice',
};

/** RFC 7386 applied, to check the patch we compute really produces the target. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? (target as Record<string, unknown>) : {};
  const out = new Map(Object.entries(base));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, applyMergePatch(out.get(k), v));
  }
  return Object.fromEntries(out);
}

describe('mergePatchBetween', () => {
  it('removes keys the target lacks and replaces lists', () => {
    const from = {
      metadata: { annotations: { restartedAt: 't', keep: 'k' } },
      spec: { containers: [{ name: 'a', image: 'v2' }] },
    };
    const to = { metadata: { annotations: { keep: 'k' } }, spec: { containers: [{ name: 'a', image: 'v1' }] } };
    expect(mergePatchBetween(from, to)).toEqual({
      metadata: { annotations: { restartedAt: null } },
      spec: { containers: [{ name: 'a', image: 'v1' }] },
    });
  });

  it('turns any object into any other (null-free values)', () => {
    const value = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('null'));
    const obj = fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      value,
    );
    fc.assert(
      fc.property(obj, obj, (a, b) => {
        expect(applyMergePatch(a, mergePatchBetween(a, b))).toEqual(b);
      }),
    );
  });
});

describe('trigger-job construction', () => {
  const job: KubeObject = {
    metadata: {
      name: 'report',
      namespace: 'n',
      uid: 'u1',
      labels: { team: 'data', 'batch.kubernetes.io/controller-uid': 'u1', 'job-name': 'report' },
    },
    spec: {
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      manualSelector: false,
      suspend: true,
      backoffLimit: 1,
      template: {
        metadata: {
          labels: {
            'controller-uid': 'u1',
            'batch.kubernetes.io/controller-uid': 'u1',
            'job-name': 'report',
            'batch.kubernetes.io/job-name': 'report',
            task: 'r',
          },
        },
        spec: { restartPolicy: 'Never' },
      },
    },
  };

  it('derives a stable, valid name from the command id', () => {
    expect(triggeredJobName('report', command.id)).toBe('report-run-abcdef');
    const long = triggeredJobName(`${'a'.repeat(60)}-x`, command.id);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('copies a Job without its selector and controller labels, labelled with its source', () => {
    const j = jobFromJob(job, 'report-run-abcdef', command);
    expect(j.metadata).toEqual({
      name: 'report-run-abcdef',
      namespace: 'n',
      labels: { team: 'data', 'wheelhouse.dev/triggered-from': 'report' },
      annotations: {
        'kubernetes.io/change-cause': 'run Job report now by alice via Wheelhouse: why',
        'wheelhouse.dev/commands': command.id,
        'wheelhouse.dev/source': 'Job/report',
      },
    });
    expect(j.spec).toEqual({
      backoffLimit: 1,
      template: { metadata: { labels: { task: 'r' } }, spec: { restartPolicy: 'Never' } },
    });
    expect(job.spec?.selector).toBeDefined(); // the source is not mutated
  });

  it('builds a Job from a CronJob like kubectl create job --from=cronjob', () => {
    const cj: KubeObject = {
      metadata: { name: 'nightly', namespace: 'n', uid: 'cj1' },
      spec: { jobTemplate: { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } }, spec: { backoffLimit: 2 } } },
    };
    const j = jobFromCronJob(cj, 'nightly-run-abcdef', command);
    expect(j.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'cj1', controller: true },
    ]);
    expect(j.metadata.annotations).toMatchObject({
      x: 'y',
      'cronjob.kubernetes.io/instantiate': 'manual',
      'wheelhouse.dev/source': 'CronJob/nightly',
    });
    expect(j.metadata.labels).toEqual({ a: 'b', 'wheelhouse.dev/triggered-from': 'nightly' });
    expect(j.spec).toEqual({ backoffLimit: 2 });
  });
});

describe('drain plan', () => {
  const pod = (
    name: string,
    extra: Partial<KubeObject> & { owner?: string; phase?: string; emptyDir?: boolean },
  ): KubeObject => ({
    metadata: {
      name,
      namespace: 'n',
      ...(extra.owner ? { ownerReferences: [{ kind: extra.owner, name: 'o', uid: 'u', controller: true }] } : {}),
      ...(extra.metadata ?? {}),
    },
    spec: extra.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {},
    status: { phase: extra.phase ?? 'Running' },
  });
  const pods = [
    pod('rs', { owner: 'ReplicaSet' }),
    pod('ds', { owner: 'DaemonSet' }),
    pod('mirror', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }),
    pod('bare', {}),
    pod('done', { phase: 'Succeeded' }),
    pod('scratch', { owner: 'ReplicaSet', emptyDir: true }),
  ];
  const names = (l: { pod?: KubeObject; metadata?: KubeObject['metadata'] }[]) =>
    l.map((x) => (x.pod ?? (x as KubeObject)).metadata?.name);

  it('skips DaemonSet and mirror pods and stops at unmanaged pods and emptyDir data', () => {
    const plan = planDrain(pods, { force: false, deleteEmptyDirData: false });
    expect(names(plan.evict)).toEqual(['rs', 'done']);
    expect(names(plan.skipped)).toEqual(['ds', 'mirror']);
    expect(names(plan.blockers)).toEqual(['bare', 'scratch']);
  });

  it('evicts them with force and deleteEmptyDirData', () => {
    const plan = planDrain(pods, { force: true, deleteEmptyDirData: true });
    expect(names(plan.evict)).toEqual(['rs', 'bare', 'done', 'scratch']);
    expect(plan.blockers).toEqual([]);
  });
});

describe('rollback and rollout helpers', () => {
  it('chooses the previous revision or the requested one, and names what exists otherwise', () => {
    const revs = [1, 2, 4].map((revision) => ({ revision, template: {} }));
    expect(chooseRevision(revs, 4, undefined, 'Deployment w')).toMatchObject({ revision: 2 });
    expect(chooseRevision(revs, 4, 1, 'Deployment w')).toMatchObject({ revision: 1 });
    expect(chooseRevision(revs, 4, 3, 'Deployment w')).toBe(
      'revision 3 of Deployment w not found; available revisions: 1, 2, 4 (current 4)',
    );
    expect(chooseRevision([{ revision: 1, template: {} }], 1, undefined, 'Deployment w')).toBe(
      'Deployment w has no previous revision to roll back to (current revision 1)',
    );
  });

  it('strips what controllers add to the stored templates', () => {
    expect(
      templateOfReplicaSet({ spec: { template: { metadata: { labels: { app: 'a', 'pod-template-hash': 'h' } } } } }),
    ).toEqual({ metadata: { labels: { app: 'a' } } });
    expect(
      templateOfControllerRevision({ data: { spec: { template: { $patch: 'replace', spec: { x: 1 } } } } }),
    ).toEqual({ spec: { x: 1 } });
  });

  it('reads a rollout like kubectl rollout status', () => {
    const d = (status: Record<string, unknown>) =>
      rolloutState('Deployment', {
        metadata: { generation: 2 },
        spec: { replicas: 2 },
        status: { observedGeneration: 2, ...status },
      });
    expect(d({ updatedReplicas: 1, replicas: 2, availableReplicas: 2 })).toEqual({ seen: '1 of 2 replicas updated' });
    expect(d({ updatedReplicas: 2, replicas: 3, availableReplicas: 2 })).toEqual({
      seen: '1 old replicas pending termination',
    });
    expect(d({ updatedReplicas: 2, replicas: 2, availableReplicas: 2 })).toEqual({ done: true });
    expect(rolloutState('DaemonSet', { metadata: { generation: 3 }, status: { observedGeneration: 2 } })).toEqual({
      seen: 'controller has not observed generation 3 yet (observed 2)',
    });
  });

  it('warns about HPAs and retained StatefulSet PVCs', () => {
    const sts: KubeObject = { spec: { replicas: 3, volumeClaimTemplates: [{ metadata: { name: 'data' } }] } };
    const hpa: KubeObject = {
      metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'db' }, maxReplicas: 5 },
    };
    const w = scaleWarnings({ kind: 'StatefulSet', namespace: 'n', name: 'db' }, sts, 1, [hpa]);
    expect(w[0]).toContain('HorizontalPodAutoscaler h targets this StatefulSet (min 1, max 5)');
    expect(w[1]).toContain('data-db-1, data-db-2');
    expect(scaleWarnings({ kind: 'Deployment', namespace: 'n', name: 'web' }, sts, 5, [hpa])).toEqual([]);
  });
});
