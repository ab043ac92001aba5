// What an executor gets to carry out one command.
import type * as k8s from '@kubernetes/client-node';
import type { ActionId, ActionParams, CommandEnvelope, JsonObject, TimelineEventInput } from '@wheelhouse/protocol';

export interface ExecutionContext {
  kc: k8s.KubeConfig;
  command: CommandEnvelope;
  /** Progress of long work (drain: "evicted 3/10 pods"), shown live on the command. */
  progress(message: string): void;
  /** Extra timeline events (per-pod progress of a drain…); ids must be unique per fact. */
  timeline(events: TimelineEventInput[]): void;
}

export interface ExecutionResult {
  message: string;
  /** For a dry run: { preview: ActionPreview }. */
  result?: JsonObject;
}

export type Executor<A extends ActionId> = (ctx: ExecutionContext, params: ActionParams<A>) => Promise<ExecutionResult>;

/** A dry run's answer: the preview travels as JSON in result.preview. */
export function previewResult(preview: import('@wheelhouse/protocol').ActionPreview): ExecutionResult {
  return { message: preview.summary, result: { preview: JSON.parse(JSON.stringify(preview)) as JsonObject } };
}
