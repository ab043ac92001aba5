// How the agent carries out each declared action. The registry is typed by
// ActionId: declaring an action in the protocol catalog without an executor
// here does not compile.
import type * as k8s from '@kubernetes/client-node';
import type { ActionId, ActionParams, CommandEnvelope, JsonObject } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import { applyOnce, objectPath } from './target.js';

export interface ExecutionContext {
  kc: k8s.KubeConfig;
  command: CommandEnvelope;
}

export interface ExecutionResult {
  message: string;
  result?: JsonObject;
}

type Executor<A extends ActionId> = (ctx: ExecutionContext, params: ActionParams<A>) => Promise<ExecutionResult>;

export const executors: { [A in ActionId]: Executor<A> } = {
  async annotate({ kc, command }, params): Promise<ExecutionResult> {
    const patch = { metadata: { annotations: { [params.key]: params.value } } };
    if (command.dryRun) {
      const res = await kubeRequest(kc, 'PATCH', `${objectPath(command.target)}?dryRun=All`, patch, 'application/merge-patch+json');
      ensureOk(res, 'dry run');
      return { message: `would set annotation ${params.key}`, result: { dryRun: true } };
    }
    const r = await applyOnce(kc, command.target, command.id, () => patch);
    const now = r.object.metadata?.annotations?.[params.key] ?? null;
    // "Succeeded" means Kubernetes shows the effect, not that the call returned.
    if (now !== params.value) throw new Error(`annotation ${params.key} is ${JSON.stringify(now)} after the patch, expected ${JSON.stringify(params.value)}`);
    return {
      message: r.alreadyApplied ? `already applied (annotation ${params.key} present)` : `annotation ${params.key} set`,
      result: { alreadyApplied: r.alreadyApplied, resourceVersion: r.object.metadata?.resourceVersion ?? null },
    };
  },
};
