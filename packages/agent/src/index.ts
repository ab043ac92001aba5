export { loadKubeConfig, describeCluster, type ClusterIdentity } from './kube.js';
