export { parseDuration, formatDuration, DurationError } from './duration.js';
export { ACTION_TIERS, isActionTier, type ActionTier } from './tiers.js';
export { JsonValue, JsonObject } from './json.js';
export * from './kinds.js';
export * from './inventory.js';
export * from './timeline.js';
export * from './commands.js';
export * from './link.js';
export * from './shell.js';
export * from './objects.js';
export * from './logs.js';
export * from './preview.js';
export type { ActionDeclaration, PermissionRule } from './actions/declaration.js';
export { ACTIONS, actionList, isActionId, type ActionId, type ActionParams } from './actions/catalog.js';

/** Wheelhouse's own version, reported by every component. */
export const WHEELHOUSE_VERSION = '0.1.0';
export type { ClusterView, CommandView, CommandDetail, ShellSessionView } from './views.js';
export * from './api-errors.js';
export * from './audit-actions.js';
