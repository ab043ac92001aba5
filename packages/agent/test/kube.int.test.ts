import { describe, expect, it, inject } from 'vitest';
import { kubeconfigFile } from '@wheelhouse/test-cluster/testing';
import { describeCluster, loadKubeConfig } from '../src/kube.js';

describe('agent kube connection (real control plane)', () => {
  it('reports the real server version and its own identity', async () => {
    const id = await describeCluster(loadKubeConfig(kubeconfigFile()));
    expect(id.gitVersion).toBe(inject('kubernetesVersion'));
    expect(id.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(id.username).toBe('kwok-admin');
  });
});
