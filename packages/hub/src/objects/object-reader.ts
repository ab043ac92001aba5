// Reads one live object through a cluster's agent: sends object.get over the
// link and waits (bounded) for the matching object.result. Every way it can go
// wrong is a catalog problem (agent_unavailable, agent_timeout, not_found,
// kubernetes_forbidden, kubernetes_error) that the route answers.
import { randomUUID } from 'node:crypto';
import {
  OBJECT_GET_TIMEOUT_MS,
  problem,
  type ApiProblem,
  type HubMessage,
  type JsonObject,
  type ObjectResultMessage,
  type ResourceKind,
} from '@wheelhouse/protocol';

import type { ForeignTarget } from '../link/agent-link.js';
/** What the reader needs from the agent link. */
export interface ObjectLinkPort {
  sendTo(cluster: string, msg: HubMessage): boolean;
  isConnected(cluster: string): boolean;
  /** The agent is reachable from this replica (its link here, or a tunnel to the replica holding it). */
  reach(cluster: string): Promise<boolean>;
  /** Reports a message that named another cluster's request (logged and counted by the link). */
  refuseForeign?(cluster: string, what: ForeignTarget, id: string): void;
}

/** What the agent link hands to the reader. */
export interface ObjectLinkHandler {
  onObjectResult(cluster: string, msg: ObjectResultMessage): void;
  onAgentGone(cluster: string, reason: string): void;
}

export interface ObjectGetRequest {
  cluster: string;
  kind: ResourceKind;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  name: string;
  /** The Wheelhouse user asking. */
  user: string;
}

export interface LiveObject {
  object: JsonObject;
  yaml: string;
}

export type ObjectReadResult = { ok: true; value: LiveObject } | { ok: false; problem: ApiProblem };

interface Pending {
  cluster: string;
  req: ObjectGetRequest;
  resolve: (r: ObjectReadResult) => void;
  timer: NodeJS.Timeout;
}

const unavailable = (cluster: string, why?: string): ObjectReadResult => ({
  ok: false,
  problem: problem('agent_unavailable', { cluster, ...(why !== undefined ? { why } : {}) }),
});

export class ObjectReader implements ObjectLinkHandler {
  private readonly pending = new Map<string, Pending>();
  private link: ObjectLinkPort | null = null;

  constructor(private readonly timeoutMs: number = OBJECT_GET_TIMEOUT_MS) {}

  attach(link: ObjectLinkPort): void {
    this.link = link;
  }

  /** Requests waiting for their agent now. */
  get inFlight(): number {
    return this.pending.size;
  }

  async get(req: ObjectGetRequest): Promise<ObjectReadResult> {
    const { cluster } = req;
    if (!(await this.link?.reach(cluster))) return unavailable(cluster);
    const requestId = randomUUID();
    return new Promise<ObjectReadResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve({
          ok: false,
          problem: problem('agent_timeout', { cluster, seconds: Math.round(this.timeoutMs / 1000) }),
        });
      }, this.timeoutMs);
      this.pending.set(requestId, { cluster, req, resolve, timer });
      const sent = this.link?.sendTo(cluster, {
        type: 'object.get',
        requestId,
        kind: req.kind,
        namespace: req.namespace,
        name: req.name,
        user: req.user,
      });
      if (!sent) this.settle(requestId, (p) => p.resolve(unavailable(cluster)));
    });
  }

  onObjectResult(cluster: string, msg: ObjectResultMessage): void {
    const p = this.pending.get(msg.requestId);
    // An agent only answers for its own cluster's requests.
    if (!p) return;
    if (p.cluster !== cluster) {
      this.link?.refuseForeign?.(cluster, 'object_request', msg.requestId);
      return;
    }
    this.settle(msg.requestId, () => {
      if (msg.object && msg.yaml !== undefined) {
        p.resolve({ ok: true, value: { object: msg.object, yaml: msg.yaml } });
        return;
      }
      p.resolve({
        ok: false,
        problem: problemOf(
          p.req,
          msg.error ?? { status: 0, reason: '', message: 'the agent answered without the object' },
        ),
      });
    });
  }

  onAgentGone(cluster: string): void {
    for (const [id, p] of [...this.pending]) {
      if (p.cluster === cluster)
        this.settle(id, () => p.resolve(unavailable(cluster, 'disconnected before answering')));
    }
  }

  private settle(id: string, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
  }
}

function problemOf(req: ObjectGetRequest, e: NonNullable<ObjectResultMessage['error']>): ApiProblem {
  const what = `${req.kind} ${req.namespace ? `${req.namespace}/` : ''}${req.name}`;
  if (e.status === 404) return problem('not_found', { message: `${what} not found in cluster "${req.cluster}"` });
  const details = { status: e.status, reason: e.reason };
  // Kubernetes refused the agent (its RBAC, or the impersonated user's): not a Wheelhouse permission.
  if (e.status === 403) return problem('kubernetes_forbidden', { what, message: e.message }, details);
  return problem('kubernetes_error', { what, message: e.message }, details);
}
