// The privileged pods behind node shells: created pinned to a node for one
// session, deleted when it ends, and never leaked. Three guards, because the
// agent or the hub may die mid-session:
//   1. the session's end deletes the pod (the hub link dropping ends every session);
//   2. the reaper deletes every node-shell pod without a live session here — at
//      start (a killed agent's pods) and every reapIntervalMs — and any pod past
//      its expiry annotation;
//   3. the pod's activeDeadlineSeconds: the kubelet kills it at the expiry even
//      when no agent runs at all.
// The pods live in one namespace (the agent's RBAC to create and delete pods is a
// Role there, nothing cluster-wide), and the reaper only looks there.
import type * as k8s from '@kubernetes/client-node';
import { fullKubeConfig, type KubeClientConfig } from '../kube-config.js';
import type { Logger } from 'pino';
import {
  NODE_SHELL_CONTAINER,
  NODE_SHELL_DEFAULT_COMMAND,
  NODE_SHELL_DEFAULT_IMAGE,
  NODE_SHELL_DEFAULT_MAX_LIFETIME_SECONDS,
  NODE_SHELL_DEFAULT_NAMESPACE,
  NODE_SHELL_EXPIRES_ANNOTATION,
  NODE_SHELL_LABEL,
  NODE_SHELL_OWNER_ANNOTATION,
  NODE_SHELL_SESSION_LABEL,
  nodeShellPodName,
} from '@wheelhouse/protocol';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

export interface NodeShellSettings {
  /** Where the pods go (default wheelhouse-node-shells). */
  namespace?: string;
  /** The pod's image (default busybox:1.37): needs nsenter and sh. */
  image?: string;
  /** What the exec runs in the pod (default nsenter -t 1 -m -u -i -n -p -- sh). */
  command?: readonly string[];
  /** The pod's activeDeadlineSeconds and expiry (default 4 h). */
  maxLifetimeSeconds?: number;
  /** How long to wait for the pod to run (default 60 s). */
  startTimeoutMs?: number;
  /** How often the reaper looks for pods without a session (default 30 s). */
  reapIntervalMs?: number;
}

export interface NodeShellPodsOptions extends NodeShellSettings {
  kc: KubeClientConfig;
  log: Logger;
  /** The sessions alive in this agent (the reaper keeps their pods). */
  liveSessions: () => ReadonlySet<string>;
}

/** A pod that cannot start (unschedulable, image, deadline): the session fails with this message. */
export class NodeShellStartError extends Error {}

/** The pod for one session: pinned, privileged, in the host's namespaces, short-lived, labelled for the reaper. */
export function nodeShellPod(o: {
  sessionId: string;
  node: string;
  user: string;
  image: string;
  maxLifetimeSeconds: number;
  now: number;
}): k8s.V1Pod {
  return {
    metadata: {
      name: nodeShellPodName(o.sessionId),
      labels: {
        'app.kubernetes.io/managed-by': 'wheelhouse',
        [NODE_SHELL_LABEL]: 'true',
        [NODE_SHELL_SESSION_LABEL]: o.sessionId,
      },
      annotations: {
        // Annotations, not labels: a username may hold characters a label value cannot.
        [NODE_SHELL_OWNER_ANNOTATION]: o.user,
        [NODE_SHELL_EXPIRES_ANNOTATION]: new Date(o.now + o.maxLifetimeSeconds * 1000).toISOString(),
        'wheelhouse.dev/node': o.node,
      },
    },
    spec: {
      // nodeName skips the scheduler: the pod lands on this node or nowhere, whatever its taints say.
      nodeName: o.node,
      tolerations: [{ operator: 'Exists' }],
      hostPID: true,
      hostNetwork: true,
      hostIPC: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: o.maxLifetimeSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      containers: [
        {
          name: NODE_SHELL_CONTAINER,
          image: o.image,
          // The pod only waits; the shell is the exec (so it is recorded and relayed like any shell).
          command: ['sleep', String(o.maxLifetimeSeconds)],
          securityContext: { privileged: true },
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '128Mi' } },
        },
      ],
    },
  };
}

export class NodeShellPods {
  readonly namespace: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly maxLifetimeSeconds: number;
  private coreApi: Promise<k8s.CoreV1Api> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reaping: Promise<number> | null = null;

  constructor(private readonly opts: NodeShellPodsOptions) {
    this.namespace = opts.namespace ?? NODE_SHELL_DEFAULT_NAMESPACE;
    this.image = opts.image ?? NODE_SHELL_DEFAULT_IMAGE;
    this.command = opts.command ?? NODE_SHELL_DEFAULT_COMMAND;
    this.maxLifetimeSeconds = opts.maxLifetimeSeconds ?? NODE_SHELL_DEFAULT_MAX_LIFETIME_SECONDS;
  }

  /** The typed client, and with it the client library, loaded when node shells first need it. */
  private core(): Promise<k8s.CoreV1Api> {
    this.coreApi ??= (async () => {
      const { CoreV1Api } = await import('@kubernetes/client-node');
      return (await fullKubeConfig(this.opts.kc)).makeApiClient(CoreV1Api);
    })();
    return this.coreApi;
  }

  /** Reaps once now (a previous agent's pods), then every reapIntervalMs. */
  start(): void {
    void this.reap();
    this.timer = setInterval(() => void this.reap(), this.opts.reapIntervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Creates the session's pod and waits until it runs; a pod that cannot start is deleted and the error says why. */
  async create(sessionId: string, node: string, user: string): Promise<string> {
    const body = nodeShellPod({
      sessionId,
      node,
      user,
      image: this.image,
      maxLifetimeSeconds: this.maxLifetimeSeconds,
      now: Date.now(),
    });
    const name = body.metadata?.name ?? '';
    try {
      await (await this.core()).createNamespacedPod({ namespace: this.namespace, body });
    } catch (err) {
      throw new NodeShellStartError(`could not create the node-shell pod ${this.namespace}/${name}: ${errorText(err)}`);
    }
    this.opts.log.info({ session: sessionId, node, user, pod: name }, 'node-shell pod created');
    try {
      await this.waitRunning(name, node);
    } catch (err) {
      await this.delete(name);
      throw err;
    }
    return name;
  }

  private async waitRunning(name: string, node: string): Promise<void> {
    const timeoutMs = this.opts.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let last = 'Pending';
    for (;;) {
      const pod = await (await this.core()).readNamespacedPod({ namespace: this.namespace, name }).catch(() => null);
      if (pod) {
        const phase = pod.status?.phase ?? 'Pending';
        const running = pod.status?.containerStatuses?.find((c) => c.name === NODE_SHELL_CONTAINER)?.state?.running;
        if (phase === 'Running' && running) return;
        if (phase === 'Failed' || phase === 'Succeeded')
          throw new NodeShellStartError(
            `the node-shell pod on node "${node}" ended (${phase}${pod.status?.reason ? `: ${pod.status.reason}` : ''}${pod.status?.message ? `, ${pod.status.message}` : ''})`,
          );
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
        const cond = pod.status?.conditions?.find((c) => c.status === 'False' && c.message);
        last = [phase, waiting?.reason, waiting?.message ?? cond?.message].filter(Boolean).join(': ');
      }
      if (Date.now() >= deadline)
        throw new NodeShellStartError(
          `the node-shell pod did not start on node "${node}" within ${Math.round(timeoutMs / 1000)} s (${last}); is the node Ready and running a kubelet?`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Deletes a pod at once (grace 0); a pod already gone is fine. */
  async delete(name: string): Promise<void> {
    try {
      await (await this.core()).deleteNamespacedPod({ namespace: this.namespace, name, gracePeriodSeconds: 0 });
      this.opts.log.info({ pod: name }, 'node-shell pod deleted');
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      this.opts.log.warn({ pod: name, err: errorText(err) }, 'deleting a node-shell pod failed; the reaper retries');
    }
  }

  /** Deletes every node-shell pod of the namespace without a live session here, or past its expiry. Returns how many. */
  reap(): Promise<number> {
    // One pass at a time: a slow API server must not stack passes.
    this.reaping ??= this.reapOnce().finally(() => {
      this.reaping = null;
    });
    return this.reaping;
  }

  private async reapOnce(): Promise<number> {
    let pods: k8s.V1Pod[];
    try {
      pods = (
        await (
          await this.core()
        ).listNamespacedPod({ namespace: this.namespace, labelSelector: `${NODE_SHELL_LABEL}=true` })
      ).items;
    } catch (err) {
      this.opts.log.warn({ err: errorText(err) }, 'listing node-shell pods failed');
      return 0;
    }
    const live = this.opts.liveSessions();
    const now = Date.now();
    let n = 0;
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const session = pod.metadata?.labels?.[NODE_SHELL_SESSION_LABEL] ?? '';
      const expires = Date.parse(pod.metadata?.annotations?.[NODE_SHELL_EXPIRES_ANNOTATION] ?? '');
      const expired = !Number.isFinite(expires) || expires <= now;
      if (live.has(session) && !expired) continue;
      if (pod.metadata?.deletionTimestamp) continue;
      this.opts.log.warn({ pod: name, session, expired }, 'reaping a node-shell pod without a live session');
      await this.delete(name);
      n++;
    }
    return n;
  }
}
