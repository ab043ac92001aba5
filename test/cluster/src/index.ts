export { up, down, status, kubectl, type ClusterOptions, type ClusterStatus } from './cluster.js';
export { binaryPaths, buildBinaries, pinnedVersions, type Binaries } from './binaries.js';
export { kubeconfigPath, cacheDir, DEFAULT_CLUSTER_NAME } from './paths.js';
