// Node shells (issue 17): a short-lived privileged pod on the chosen node, entered
// through the ordinary shell relay, removed when the shell ends. The pod is the
// agent's; its name is derived from the session id, so the hub records the pod
// before the agent has created it, and a pod left behind (agent killed) carries
// its session id, owner and expiry for the agent's reaper (agent/shell/node-shell-pods.ts).

/** The namespace the agent creates node-shell pods in (agent --node-shell-namespace; chart nodeShell.namespace). */
export const NODE_SHELL_DEFAULT_NAMESPACE = 'wheelhouse-node-shells';
/** The pod's image: small, with nsenter and sh (agent --node-shell-image; chart nodeShell.image). */
export const NODE_SHELL_DEFAULT_IMAGE = 'busybox:1.37';
/** What the exec runs in the pod: a shell in the host's namespaces (PID 1 is the node's init: hostPID). */
export const NODE_SHELL_DEFAULT_COMMAND: readonly string[] = [
  'nsenter',
  '-t',
  '1',
  '-m',
  '-u',
  '-i',
  '-n',
  '-p',
  '--',
  'sh',
];
/** The pod's one container (the exec's target). */
export const NODE_SHELL_CONTAINER = 'shell';
/**
 * A node shell's longest life: the pod's activeDeadlineSeconds (the kubelet kills it then, whatever
 * happened to hub and agent) and its expiry annotation (the agent's reaper deletes it then).
 */
export const NODE_SHELL_DEFAULT_MAX_LIFETIME_SECONDS = 4 * 3600;

/** Labels and annotations on every node-shell pod. */
export const NODE_SHELL_LABEL = 'wheelhouse.dev/node-shell';
export const NODE_SHELL_SESSION_LABEL = 'wheelhouse.dev/session';
export const NODE_SHELL_OWNER_ANNOTATION = 'wheelhouse.dev/owner';
export const NODE_SHELL_EXPIRES_ANNOTATION = 'wheelhouse.dev/expires-at';

/** The pod of one session: `node-shell-<session uuid>` (47 characters, a DNS label). */
export function nodeShellPodName(sessionId: string): string {
  return `node-shell-${sessionId}`;
}

/** The session a node-shell pod belongs to, from its name (null: not one of ours). */
export function nodeShellSessionOf(podName: string): string | null {
  const m = /^node-shell-([0-9a-f-]{36})$/.exec(podName);
  return m?.[1] ?? null;
}

/** GET (WebSocket) path of a node shell. */
export function nodeShellPath(cluster: string, node: string): string {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(node)}/shell`;
}
