// The agent's view of its cluster: which API server, which version, and who it
// is there. Loaded from an explicit kubeconfig, KUBECONFIG/~/.kube/config, or
// the in-cluster ServiceAccount, the same order kubectl uses — without the
// client library (kube-config.ts).
import { LeanKubeConfig, type KubeClientConfig } from './kube-config.js';
import { ensureOk, kubeRequest } from './kube-http.js';

export interface ClusterIdentity {
  server: string;
  gitVersion: string;
  /** The username the API server sees for the agent's credentials. */
  username: string;
  /** Its groups, as the API server sees them. */
  groups: string[];
}

export function loadKubeConfig(kubeconfig?: string, context?: string): LeanKubeConfig {
  return LeanKubeConfig.load(kubeconfig, context);
}

export async function describeCluster(kc: KubeClientConfig): Promise<ClusterIdentity> {
  const version = ensureOk(await kubeRequest<{ gitVersion?: string }>(kc, 'GET', '/version'), 'read the version');
  const review = ensureOk(
    await kubeRequest<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>(
      kc,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    ),
    'review who the agent is',
  );
  return {
    server: kc.getCurrentCluster()?.server ?? '',
    gitVersion: version.gitVersion ?? '',
    username: review.status?.userInfo?.username ?? '',
    groups: review.status?.userInfo?.groups ?? [],
  };
}

/** One SelfSubjectAccessReview: may the config's identity do this? */
export async function canI(kc: KubeClientConfig, resourceAttributes: ResourceAttributes): Promise<boolean> {
  const review = ensureOk(
    await kubeRequest<{ status?: { allowed?: boolean } }>(
      kc,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
    ),
    'review a permission',
  );
  return review.status?.allowed === true;
}

export interface ResourceAttributes {
  verb: string;
  group?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}
