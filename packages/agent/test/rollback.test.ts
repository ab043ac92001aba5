// rollback's revision choice (actions/rollback.ts), rollout state (actions/rollout.ts) and scale's warnings (actions/scale.ts).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/projections.js';
import { chooseRevision, templateOfControllerRevision, templateOfReplicaSet } from '../src/actions/rollback.js';
import { rolloutState } from '../src/actions/rollout.js';
import { scaleWarnings } from '../src/actions/scale.js';

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
