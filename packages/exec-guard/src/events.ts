// What exec guard reports to an embedding process (the Wheelhouse agent
// forwards these to the hub timeline): typed events on the handle's emitter.
import type { InteractionEntry } from './journal.js';

export interface InteractionEvent {
  entry: InteractionEntry;
  /** true for the pod's first interaction (the one that set its labels and eviction time). */
  first: boolean;
  podUid?: string;
  /** RFC 3339 eviction time, when known. */
  terminationTime?: string;
}

export interface ExtensionEvent {
  namespace: string;
  pod: string;
  podUid?: string;
  duration: string;
  requester: string;
  /** ms since the epoch when the request was admitted. */
  at: number;
  previousTerminationTime: string;
  terminationTime: string;
}

export interface EvictionEvent {
  namespace: string;
  pod: string;
  podUid: string;
  interactor: string;
  interactedAt: string;
  terminationTime: string;
  /** ms since the epoch when the Eviction was accepted. */
  at: number;
}

export interface EvictionBlockedEvent {
  namespace: string;
  pod: string;
  podUid: string;
  message: string;
  retryInMs: number;
}

export type ExecGuardEvents = {
  interaction: [InteractionEvent];
  extension: [ExtensionEvent];
  eviction: [EvictionEvent];
  evictionBlocked: [EvictionBlockedEvent];
  leader: [boolean];
};
