// vitest globalSetup for the integration project: one cluster per test run,
// started (or reused) here; tests isolate themselves by namespace.
// Set WHEELHOUSE_KEEP_CLUSTER=1 to leave a cluster this run started running.
import type { TestProject } from 'vitest/node';
import { admissionFiles } from './admission.js';
import { pinnedVersions } from './binaries.js';
import { down, status, up } from './cluster.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wasRunning = (await status()).running;
  const cluster = await up();
  project.provide('kubeconfig', cluster.kubeconfig);
  project.provide('kubernetesVersion', pinnedVersions().kubernetes);
  project.provide('admissionClientCa', admissionFiles(cluster.name).caCert);
  return async () => {
    // A cluster the developer started with `npm run cluster:up` is theirs to stop.
    if (!wasRunning && !process.env.WHEELHOUSE_KEEP_CLUSTER) await down();
  };
}
