export * from './labels.js';
export {
  startExecGuard,
  loadKube,
  DEFAULTS,
  type ExecGuardOptions,
  type ExecGuardHandle,
  type LogLevel,
} from './exec-guard.js';
export type {
  ExecGuardEvents,
  InteractionEvent,
  ExtensionEvent,
  EvictionEvent,
  EvictionBlockedEvent,
} from './events.js';
export type { InteractionEntry, ExtensionEntry, JournalEntry } from './journal.js';
export { interactionState, rfc3339, type InteractionState } from './pod-state.js';
export { webhookConfiguration, type WebhookConfigurationOptions } from './webhook-config.js';
export { CONNECT_PATH, DEBUG_PATH, PODS_PATH } from './server.js';
export { interactionCommand, interactionEventMessage, interactionSummary } from './messages.js';
export { ON_BEHALF_OF_EXTRA, attributedUser } from './review.js';
export { RateLimiter, type RateLimitOptions } from './rate-limit.js';
export { JournalFullError, DEFAULT_MAX_PENDING_BYTES } from './journal.js';
export { execGuardCommand } from './cli.js';
