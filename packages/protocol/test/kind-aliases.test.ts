import { describe, expect, it } from 'vitest';
import { KIND_SHORT_NAMES, RESOURCE_KIND_NAMES, kindFromAlias } from '../src/kinds.js';

describe('kind aliases, as kubectl reads them', () => {
  it('reads kinds, plurals, singulars and short names in any case', () => {
    expect(
      ['pvc', 'svc', 'cm', 'deploy', 'Deployments', 'pod', 'po', 'sts', 'cj', 'no', 'hpa', 'pdb', 'ing', 'jobs'].map(
        kindFromAlias,
      ),
    ).toEqual([
      'PersistentVolumeClaim',
      'Service',
      'ConfigMap',
      'Deployment',
      'Deployment',
      'Pod',
      'Pod',
      'StatefulSet',
      'CronJob',
      'Node',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Ingress',
      'Job',
    ]);
    expect(kindFromAlias('secret')).toBeUndefined();
    expect(kindFromAlias('')).toBeUndefined();
  });

  it('gives every short name to exactly one kind', () => {
    const all = RESOURCE_KIND_NAMES.flatMap((k) => KIND_SHORT_NAMES[k]);
    expect(new Set(all).size).toBe(all.length);
  });
});
