// The kwok configuration the local cluster starts with: RBAC and admission on,
// exec/logs/attach on simulated pods served by running commands locally, and
// port-forward to addresses named by PortForward objects (kwok.x-k8s.io/v1alpha1).
import { stringify } from 'yaml';
import { RESOURCE_USAGE } from './metrics-server.js';

export interface KwokConfigInput {
  /** Working directory for `exec` into simulated pods (commands run on this machine). */
  execWorkDir: string;
  /** File served as every container's log and attach stream (CRI log format, see container-logs.ts). */
  logsFile: string;
  /** File served for `logs --previous` (CRI log format). */
  previousLogsFile: string;
  /** Stage documents (YAML), see stages.ts. */
  stages: string[];
  /** kube-apiserver's --admission-control-config-file (its client certificate for webhooks, see admission.ts). */
  admissionConfigFile: string;
  /** kube-apiserver's audit policy and log (audit.ts). */
  auditPolicyFile: string;
  auditLogFile: string;
  /** kwokctl's cache directory, and the metrics-server manifest source placed in it (metrics-server.ts). */
  cacheDir: string;
  metricsServerManifest: string;
}

export function kwokConfigYaml(input: KwokConfigInput): string {
  const docs: unknown[] = [
    {
      apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
      kind: 'KwokctlConfiguration',
      options: {
        runtime: 'binary',
        kubeAuthorization: true,
        kubeAdmission: true,
        // The suite creates and deletes many objects quickly; client-side
        // throttling in the controllers would only add latency to the tests.
        disableQPSLimits: true,
        cacheDir: input.cacheDir,
        metricsServerManifests: [input.metricsServerManifest],
        // PortForward objects are read from the API (kwok installs the CRD), so a test can point a
        // pod's port at a server it started on this machine (port-forward.int.test.ts).
        enableCRDs: ['PortForward'],
      },
      componentsPatches: [
        {
          name: 'kube-apiserver',
          extraArgs: [
            { key: 'admission-control-config-file', value: input.admissionConfigFile },
            // etcd history is compacted every minute (default 5), and ConfigMap watches are served by
            // etcd, not the watch cache (which replays a young cluster's whole history): a watch from
            // an old resourceVersion meets 410 Gone, as on a long-running cluster (kind-watcher.int.test.ts).
            { key: 'etcd-compaction-interval', value: '1m' },
            { key: 'watch-cache-sizes', value: 'configmaps#0' },
            // The audit log names the person behind an impersonated request (impersonation-idp-groups.int.test.ts).
            { key: 'audit-policy-file', value: input.auditPolicyFile },
            { key: 'audit-log-path', value: input.auditLogFile },
            { key: 'audit-log-maxsize', value: '50' },
            { key: 'audit-log-maxbackup', value: '1' },
          ],
        },
      ],
    },
    {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterExec',
      metadata: { name: 'wheelhouse-local-exec' },
      spec: { execs: [{ local: { workDir: input.execWorkDir } }] },
    },
    {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name: 'wheelhouse-local-logs' },
      // Every pod, every container: kwok reads the file at each request (follow streams what is appended).
      spec: { logs: [{ logsFile: input.logsFile, previousLogsFile: input.previousLogsFile, follow: true }] },
    },
    {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterAttach',
      metadata: { name: 'wheelhouse-local-attach' },
      spec: { attaches: [{ logsFile: input.logsFile }] },
    },
    RESOURCE_USAGE,
  ];
  return [...docs.map((d) => stringify(d)), ...input.stages].join('---\n');
}
