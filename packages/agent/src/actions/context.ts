// What an executor gets to carry out one command.
import type { KubeClientConfig } from '../kube-config.js';
import {
  DEFAULT_WORKLOAD_POLICY,
  checkTemplatePolicy,
  templateRefusal,
  toJsonObject,
  type ActionId,
  type ActionParams,
  type CommandEnvelope,
  type JsonObject,
  type TimelineEventInput,
} from '@wheelhouse/protocol';

export interface ExecutionContext {
  kc: KubeClientConfig;
  command: CommandEnvelope;
  /** Progress of long work (drain: "evicted 3/10 pods"), shown live on the command. */
  progress(message: string): void;
  /** Extra timeline events (per-pod progress of a drain…); ids must be unique per fact. */
  timeline(events: TimelineEventInput[]): void;
}

/**
 * Thrown by an executor that refuses before changing anything (the command
 * ends `rejected`, not `failed`): a template it would re-create breaks the
 * command's Pod Security Standards level.
 */
export class PolicyRefusal extends Error {}

/**
 * Refuses (PolicyRefusal) when a pod template that restart, rollback or
 * trigger-job takes from the cluster breaks the level the hub authorized the
 * command under (issue 13, item 2): `source` names it ("revision 2 of
 * Deployment web"), `object` is {kind, spec} with the template.
 */
export function refuseTemplateBreakingPolicy(
  command: CommandEnvelope,
  source: string,
  object: Record<string, unknown>,
): void {
  const policy = command.policy ?? DEFAULT_WORKLOAD_POLICY;
  const issues = checkTemplatePolicy(object, policy);
  if (issues.length > 0) throw new PolicyRefusal(templateRefusal(source, policy.podSecurity, issues));
}

export interface ExecutionResult {
  message: string;
  /** For a dry run: { preview: ActionPreview }. */
  result?: JsonObject;
}

/**
 * Carries out one action on `ctx.command.target` with params already validated
 * against the action's schema. The contract every executor keeps (the command
 * runner, commands/command-runner.ts, relies on it):
 *
 * - **Resolving means succeeded**, and succeeded means Kubernetes shows the
 *   intended effect (the replicas are reported, the rollout finished, the pod
 *   is gone) — not that a write returned 200. Wait for the effect, bounded by
 *   the action's timeout; `progress()` says what is being waited for.
 * - **Re-delivery is harmless.** The same command may arrive again (agent
 *   restart before reporting, hub re-send after a reconnect). Record the command
 *   id on the target (`applyOnce` in target.ts, annotation
 *   `wheelhouse.dev/commands`) in the same write as the change, with the
 *   resourceVersion the change was computed from, so a second delivery finds its
 *   id and answers "already applied" instead of applying twice, and a concurrent
 *   change (409) is re-read, not overwritten. An absolute change (scale to N)
 *   may be written first and recorded after, since repeating it is harmless.
 *   Deletes use a uid precondition and leave alone a successor created after
 *   the request (`createdAfterRequest`).
 * - **Throwing means failed**: the error's text (errorText: the API server's
 *   own message for a KubeApiError) becomes the command's message, so say what
 *   was tried and what is left (e.g. "node stays cordoned"). Whatever was done
 *   before the throw stays done; the command is not retried by the agent.
 * - **A dry run changes nothing**: with `command.dryRun` use server-side dry
 *   run and return `previewResult(preview)`.
 */
export type Executor<A extends ActionId> = (ctx: ExecutionContext, params: ActionParams<A>) => Promise<ExecutionResult>;

/** A dry run's answer: the preview travels as JSON in result.preview. */
export function previewResult(preview: import('@wheelhouse/protocol').ActionPreview): ExecutionResult {
  return { message: preview.summary, result: { preview: toJsonObject(preview) } };
}
