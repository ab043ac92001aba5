export * from './core.js';
export { JsonValue, JsonObject } from './json.js';
export * from './inventory.js';
export * from './workload-list.js';
export * from './summaries.js';
export * from './timeline.js';
export * from './insights.js';
export * from './notifications.js';
export * from './usage.js';
export * from './commands.js';
export * from './link.js';
export * from './shell.js';
export * from './node-shell.js';
export * from './objects.js';
export * from './logs.js';
export * from './port-forward.js';
export * from './preview.js';
export type { ActionDeclaration, PermissionRule, TargetIssue } from './actions/declaration.js';
export {
  POD_SECURITY_LEVELS,
  PodSecurityLevel,
  DEFAULT_POD_SECURITY_LEVEL,
  SECRET_REFERENCE_PERMISSION,
  WorkloadPolicy,
  DEFAULT_WORKLOAD_POLICY,
  checkPodSecurity,
  secretReferences,
  checkWorkloadPolicy,
  checkTemplatePolicy,
  templateRefusal,
  TEMPLATE_ACTIONS,
  podTemplateOf,
  type PodSecurityViolation,
} from './actions/pod-security.js';
export { parseManifest, type ManifestObject } from './actions/manifest.js';
export { ACTIONS, actionList, isActionId, type ActionId, type ActionParams } from './actions/catalog.js';
export { DEFAULT_DEBUG_IMAGES } from './actions/debug.js';

/** Wheelhouse's own version, reported by every component. */
export const WHEELHOUSE_VERSION = '0.1.0';
export * from './api-errors.js';
export * from './audit-actions.js';
export * from './health.js';
