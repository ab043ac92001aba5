// Runs the commands the hub sends: checks what the agent may do (known action,
// enabled tier, valid params, an identity to act as), runs the action's
// executor and reports running → succeeded | failed | rejected. Delivery is at
// least once (the hub re-sends every unfinished command after each connect), so
// a command already running is not started twice and a recently finished one is
// answered from memory; older re-deliveries reach the executor, which
// recognises its command id on the target (see Executor).
import type { KubeClientConfig } from '../kube-config.js';
import type { Logger } from 'pino';
import {
  ACTIONS,
  WHEELHOUSE_VERSION,
  isActionId,
  type AgentMessage,
  type Capabilities,
  type CommandEnvelope,
  type JsonObject,
  type TimelineEventInput,
} from '@wheelhouse/protocol';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';
import { workloadPolicyRefusal } from '../actions/apply.js';
import { PolicyRefusal } from '../actions/context.js';
import type { ExecutionContext, ExecutionResult, ExecutorRegistry } from '../actions/executors.js';
import { impersonatingKubeConfig, kubeIdentityFor, type ImpersonationMapping } from '../impersonation.js';

export type CommandUpdate = Extract<AgentMessage, { type: 'command.update' }>;
type FinalState = 'succeeded' | 'failed' | 'rejected';

export interface CommandRunnerOptions {
  kc: KubeClientConfig;
  capabilities: Capabilities;
  /** One executor per action id (tests swap some for their own). */
  executors: ExecutorRegistry;
  /** Act as the requesting user's mapped Kubernetes identity. */
  impersonation?: ImpersonationMapping;
  /** Where command.update messages go (the outbox: kept while the link is down). */
  report(update: CommandUpdate): void;
  /** Extra timeline events from executors. */
  timeline(events: TimelineEventInput[]): void;
  log: Logger;
  /** How many finished commands are answered from memory on re-delivery. */
  rememberFinished?: number;
}

export class CommandRunner {
  private readonly finished = new Map<string, { state: FinalState; message: string; result?: JsonObject }>();
  private readonly running = new Set<string>();
  /** Executor calls per command id (re-deliveries answered from memory do not count): for tests and metrics. */
  readonly executed = new Map<string, number>();

  constructor(private readonly o: CommandRunnerOptions) {}

  /** Carries out one delivery of a command; never throws (a failure is reported as the command's state). */
  async run(cmd: CommandEnvelope): Promise<void> {
    const done = this.finished.get(cmd.id);
    if (done) return this.report(cmd.id, done.state, done.message, done.result);
    if (this.running.has(cmd.id)) return;
    this.running.add(cmd.id);
    const finish = (state: FinalState, message: string, result?: JsonObject): void =>
      this.finish(cmd.id, state, message, result);

    if (!isActionId(cmd.action))
      return finish('rejected', `this agent (${WHEELHOUSE_VERSION}) does not know action "${cmd.action}"`);
    const decl = ACTIONS[cmd.action];
    if (!this.o.capabilities[decl.tier]) {
      return finish(
        'rejected',
        `the ${decl.tier} tier is not enabled for this cluster's agent (actions.${decl.tier}=false)`,
      );
    }
    const params = decl.params.safeParse(cmd.params);
    if (!params.success)
      return finish(
        'rejected',
        `invalid params: ${params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    if (cmd.action === 'apply') {
      // The hub checked the command's policy too; this agent refuses on its own before touching the cluster.
      const refused = workloadPolicyRefusal(cmd, (params.data as { manifest: string }).manifest);
      if (refused) return finish('rejected', refused);
    }
    let actingKc: KubeClientConfig = this.o.kc;
    if (this.o.impersonation) {
      try {
        actingKc = impersonatingKubeConfig(
          this.o.kc,
          kubeIdentityFor(cmd.requestedBy, this.o.impersonation, cmd.requestedByGroups),
        );
      } catch (err) {
        return finish('rejected', `cannot act as ${cmd.requestedBy}: ${errorText(err)}`);
      }
    }
    this.report(cmd.id, 'running', cmd.dryRun ? 'previewing' : 'executing');
    try {
      this.executed.set(cmd.id, (this.executed.get(cmd.id) ?? 0) + 1);
      const ctx: ExecutionContext = {
        kc: actingKc,
        command: cmd,
        progress: (message: string) => this.report(cmd.id, 'running', message),
        timeline: (events: TimelineEventInput[]) => this.o.timeline(events),
      };
      // The params were just validated against this action's own schema; the
      // registry is typed per id, which TypeScript cannot correlate through a union.
      const executor = this.o.executors[cmd.action] as (c: ExecutionContext, p: unknown) => Promise<ExecutionResult>;
      const r = await executor(ctx, params.data);
      this.o.log.info({ command: cmd.id, action: cmd.action, target: cmd.target }, r.message);
      finish('succeeded', r.message, r.result);
    } catch (err) {
      const message = errorText(err);
      if (err instanceof PolicyRefusal) {
        this.o.log.warn({ command: cmd.id, action: cmd.action, err: message }, 'command refused by policy');
        return finish('rejected', message);
      }
      this.o.log.warn({ command: cmd.id, action: cmd.action, err: message }, 'command failed');
      finish('failed', message);
    }
  }

  private finish(id: string, state: FinalState, message: string, result?: JsonObject): void {
    this.running.delete(id);
    this.finished.set(id, { state, message, ...(result ? { result } : {}) });
    if (this.finished.size > (this.o.rememberFinished ?? 5000)) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
    this.report(id, state, message, result);
  }

  private report(id: string, state: CommandUpdate['state'], message: string, result?: JsonObject): void {
    this.o.report({ type: 'command.update', id, state, message, ...(result ? { result } : {}) });
  }
}
