export { loadKubeConfig, describeCluster, type ClusterIdentity } from './kube.js';
export { LeanKubeConfig, fullKubeConfig, type KubeClientConfig } from './kube-config.js';
export { kubeRequest, kubeWatch, type KubeResponse } from './kube-http.js';
export { startAgent, type Agent, type AgentOptions } from './agent.js';
export { project, type KubeObject } from './projections.js';
export { diff, describeChanges } from './timeline/diff.js';
export { impersonatingKubeConfig, onBehalfOfIdentity, ON_BEHALF_OF_EXTRA, type KubeIdentity } from './impersonation.js';
export { NodeShellPods, NodeShellStartError, nodeShellPod, type NodeShellSettings } from './shell/node-shell-pods.js';
