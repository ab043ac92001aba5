// Reading every pod: the agent's Kubernetes client (what the agent's initial
// sync does) beside `kubectl get pods -A -o json`, on the same local cluster.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { fullKubeConfig, loadKubeConfig } from '@wheelhouse/agent';
import { binaryPaths, up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';

const run = promisify(execFile);

export async function listPodsBenchmark(): Promise<Benchmark> {
  const cluster = await up();
  const bins = await binaryPaths();
  const core = (await fullKubeConfig(loadKubeConfig(cluster.kubeconfig))).makeApiClient(k8s.CoreV1Api);
  return {
    name: 'list-pods',
    description: 'list all pods: agent kube client vs kubectl get pods -A -o json',
    rounds: 30,
    subject: {
      label: 'wheelhouse agent client',
      run: async () => {
        await core.listPodForAllNamespaces();
      },
    },
    baseline: {
      label: 'kubectl get pods -A -o json',
      run: async () => {
        await run(bins.kubectl, ['--kubeconfig', cluster.kubeconfig, 'get', 'pods', '-A', '-o', 'json'], {
          maxBuffer: 256 * 1024 * 1024,
        });
      },
    },
  };
}
