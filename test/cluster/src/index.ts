export { up, down, status, kubectl, type ClusterOptions, type ClusterStatus } from './cluster.js';
export { binaryPaths, buildBinaries, pinnedVersions, type Binaries } from './binaries.js';
export { kubeconfigPath, cacheDir, containerLogFile, previousContainerLogFile, DEFAULT_CLUSTER_NAME } from './paths.js';
export { appendContainerLog, criLogLine, INITIAL_LOG_LINES } from './container-logs.js';
export { admissionClientCa, admissionFiles, ADMISSION_CLIENT_NAME, type AdmissionClientFiles } from './admission.js';
