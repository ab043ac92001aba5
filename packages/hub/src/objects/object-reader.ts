// Reads one live object through a cluster's agent: sends object.get over the
// link and waits (bounded) for the matching object.result. Every way it can go
// wrong is an HttpError with the API's usual shape.
import { randomUUID } from 'node:crypto';
import {
  OBJECT_GET_TIMEOUT_MS,
  type HubMessage,
  type JsonObject,
  type ObjectResultMessage,
  type ResourceKind,
} from '@wheelhouse/protocol';
import { HttpError } from '../http/errors.js';

/** What the reader needs from the agent link. */
export interface ObjectLinkPort {
  sendTo(cluster: string, msg: HubMessage): boolean;
  isConnected(cluster: string): boolean;
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

interface Pending {
  cluster: string;
  req: ObjectGetRequest;
  resolve: (v: LiveObject) => void;
  reject: (err: HttpError) => void;
  timer: NodeJS.Timeout;
}

const unavailable = (cluster: string, why = 'is not connected'): HttpError =>
  new HttpError(503, 'agent_unavailable', `the agent of cluster "${cluster}" ${why}`);

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

  get(req: ObjectGetRequest): Promise<LiveObject> {
    const { cluster } = req;
    if (!this.link?.isConnected(cluster)) return Promise.reject(unavailable(cluster));
    const requestId = randomUUID();
    return new Promise<LiveObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new HttpError(
            504,
            'agent_timeout',
            `the agent of cluster "${cluster}" did not answer within ${Math.round(this.timeoutMs / 1000)} s`,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(requestId, { cluster, req, resolve, reject, timer });
      const sent = this.link?.sendTo(cluster, {
        type: 'object.get',
        requestId,
        kind: req.kind,
        namespace: req.namespace,
        name: req.name,
        user: req.user,
      });
      if (!sent) this.settle(requestId, (p) => p.reject(unavailable(cluster)));
    });
  }

  onObjectResult(cluster: string, msg: ObjectResultMessage): void {
    const p = this.pending.get(msg.requestId);
    // An agent only answers for its own cluster's requests.
    if (!p || p.cluster !== cluster) return;
    this.settle(msg.requestId, () => {
      if (msg.object && msg.yaml !== undefined) {
        p.resolve({ object: msg.object, yaml: msg.yaml });
        return;
      }
      p.reject(
        errorOf(p.req, msg.error ?? { status: 0, reason: '', message: 'the agent answered without the object' }),
      );
    });
  }

  onAgentGone(cluster: string): void {
    for (const [id, p] of [...this.pending]) {
      if (p.cluster === cluster) this.settle(id, () => p.reject(unavailable(cluster, 'disconnected before answering')));
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

function errorOf(req: ObjectGetRequest, e: NonNullable<ObjectResultMessage['error']>): HttpError {
  const what = `${req.kind} ${req.namespace ? `${req.namespace}/` : ''}${req.name}`;
  if (e.status === 404) return new HttpError(404, 'not_found', `${what} not found in cluster "${req.cluster}"`);
  if (e.status === 403) {
    // Kubernetes refused the agent (its RBAC, or the impersonated user's): not a Wheelhouse permission.
    return new HttpError(403, 'kubernetes_forbidden', `Kubernetes refused to read ${what}: ${e.message}`, {
      status: e.status,
      reason: e.reason,
    });
  }
  return new HttpError(502, 'kubernetes_error', `reading ${what} failed: ${e.message}`, {
    status: e.status,
    reason: e.reason,
  });
}
