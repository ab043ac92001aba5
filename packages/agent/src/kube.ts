// The agent's view of its cluster: which API server, which version, and who it
// is there. Loaded from an explicit kubeconfig, KUBECONFIG/~/.kube/config, or
// the in-cluster ServiceAccount, the same order kubectl uses.
import * as k8s from '@kubernetes/client-node';

export interface ClusterIdentity {
  server: string;
  gitVersion: string;
  /** The username the API server sees for the agent's credentials. */
  username: string;
  /** Its groups, as the API server sees them. */
  groups: string[];
}

export function loadKubeConfig(kubeconfig?: string, context?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  return kc;
}

export async function describeCluster(kc: k8s.KubeConfig): Promise<ClusterIdentity> {
  const version = await kc.makeApiClient(k8s.VersionApi).getCode();
  const review = await kc.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return {
    server: kc.getCurrentCluster()?.server ?? '',
    gitVersion: version.gitVersion,
    username: review.status?.userInfo?.username ?? '',
    groups: review.status?.userInfo?.groups ?? [],
  };
}
