// A real `wheelhouse agent` process on the local cluster, for the tests that
// run hubs as processes (replicas, kills): linked to the given hub URLs, the
// first tried first.
import { WHEELHOUSE_CLI, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { kubeconfigFile } from '@wheelhouse/test-cluster/testing';

export function startAgentProcess(o: {
  hubs: readonly string[];
  token: string;
  tiers: string;
  /** More agent flags (impersonation, node-shell settings). */
  args?: readonly string[];
}): TestProcess {
  return startProcess(
    [
      WHEELHOUSE_CLI,
      'agent',
      '--hub',
      o.hubs.join(','),
      '--token',
      o.token,
      '--kubeconfig',
      kubeconfigFile(),
      '--tiers',
      o.tiers,
      ...(o.args ?? []),
      '--log-level',
      'warn',
    ],
    { label: 'agent' },
  );
}
