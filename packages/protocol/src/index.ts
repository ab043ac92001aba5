export { parseDuration, formatDuration, DurationError } from './duration.js';
export { ACTION_TIERS, isActionTier, type ActionTier } from './tiers.js';

/** Wheelhouse's own version, reported by every component. */
export const WHEELHOUSE_VERSION = '0.1.0';
