// @wheelhouse/protocol/core: the protocol's runtime without zod — constants and
// pure functions the console imports (its bundle must not carry the schemas).
// Types of the schema-backed shapes come from '@wheelhouse/protocol' as types.
export { COMMAND_STATES, TERMINAL_STATES, commandStateOf, isTerminal, type CommandState } from './command-states.js';
export { TIMELINE_EVENT_TYPES, SEVERITIES, type TimelineEventType, type Severity } from './timeline-types.js';
export * from './kinds.js';
export * from './root-cause.js';
export { INSIGHT_CHECKS, INSIGHT_CHECK_IDS, INSIGHT_STATES, isInsightCheckId } from './insight-checks.js';
export type { InsightCheckId, InsightState } from './insight-checks.js';
export { ACTION_TIERS, isActionTier, type ActionTier } from './tiers.js';
export { parseDuration, formatDuration, DurationError } from './duration.js';
export * from './owner.js';
export * from './label-selector.js';
export * from './values.js';
export { ofKind } from './inventory-guards.js';
export type { ClusterView, CommandView, CommandDetail, ShellSessionView } from './views.js';
export * from './api-errors.js';
export * from './audit-actions.js';
export * from './health.js';
export * from './node-list.js';
export * from './object-search.js';
export * from './frame-limits.js';
export { formatMemory, parseCpu, parseMemory } from './quantities.js';
export * from './list-cursor.js';
