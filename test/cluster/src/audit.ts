// The local API server's audit log: a small policy that records (Metadata
// level) gets and writes of workloads and pod exec/attach, so tests can read who did
// something through Wheelhouse as the cluster saw it — for an impersonating
// agent, the event's impersonatedUser names the person and their groups.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { clusterDataDir } from './paths.js';

export const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'Metadata',
      verbs: ['get', 'create', 'update', 'patch', 'delete'],
      resources: [
        {
          group: 'apps',
          resources: ['deployments', 'deployments/scale', 'statefulsets', 'statefulsets/scale', 'daemonsets'],
        },
      ],
    },
    { level: 'Metadata', resources: [{ group: '', resources: ['pods/exec', 'pods/attach'] }] },
    { level: 'None' },
  ],
};

/** Writes the policy file beside the cluster's other files; returns its path. */
export async function ensureAuditPolicy(name: string): Promise<string> {
  await mkdir(clusterDataDir(name), { recursive: true });
  const file = join(clusterDataDir(name), 'audit-policy.yaml');
  await writeFile(file, stringify(AUDIT_POLICY));
  return file;
}
