// Deep links that open a shell, for runbooks and alerts:
//   /c/{cluster}/shell/{namespace}/{pod}?container=app&command=sh&command=-c&command=df%20-h
// `command` repeats, one per argument (as the hub's shell WebSocket takes it).
// The page asks before it connects, so a link can never run a command in
// someone's name without their click; the hub authorizes it like any shell.
// No DOM here, so it is unit-tested.
import type { ShellTarget } from './protocol.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The hub's limits for `command` (shell-routes.ts ShellQuery). */
export const MAX_COMMAND_ARGS = 64;
const MAX_ARG_LENGTH = 4096;

export type ShellLink = { ok: true; target: ShellTarget } | { ok: false; error: string };

/** The link's target, or what is wrong with it (the first problem, naming the part of the URL). */
export function parseShellLink(params: { cluster: string; namespace: string; pod: string }, search: string): ShellLink {
  const q = new URLSearchParams(search);
  const { cluster, namespace, pod } = params;
  if (!cluster || cluster.length > 63) return { ok: false, error: 'the cluster name is missing or too long' };
  if (namespace.length > 63 || !DNS_LABEL.test(namespace))
    return { ok: false, error: `"${namespace}" is not a namespace name (a DNS label)` };
  if (pod.length > 253 || !DNS_SUBDOMAIN.test(pod))
    return { ok: false, error: `"${pod}" is not a pod name (a DNS subdomain)` };
  const unknown = [...new Set(q.keys())].filter((k) => k !== 'container' && k !== 'command');
  if (unknown.length) return { ok: false, error: `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}` };
  const containers = q.getAll('container');
  if (containers.length > 1) return { ok: false, error: 'container is given more than once' };
  const container = containers[0];
  if (container !== undefined && (container.length > 63 || !DNS_LABEL.test(container)))
    return { ok: false, error: `"${container}" is not a container name (a DNS label)` };
  const command = q.getAll('command');
  if (command.length > MAX_COMMAND_ARGS)
    return { ok: false, error: `command has ${command.length} arguments, at most ${MAX_COMMAND_ARGS}` };
  if (command[0] === '') return { ok: false, error: 'command is empty' };
  if (command.some((a) => a.length > MAX_ARG_LENGTH))
    return { ok: false, error: `a command argument is longer than ${MAX_ARG_LENGTH} characters` };
  return {
    ok: true,
    target: {
      cluster,
      namespace,
      pod,
      ...(container ? { container } : {}),
      ...(command.length ? { command } : {}),
    },
  };
}

/** A command as a POSIX shell would need it typed: arguments with spaces or quotes single-quoted, so boundaries show. */
export function commandText(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The deep link (path and query) that opens this shell. */
export function shellLinkHref(t: ShellTarget): string {
  const seg = encodeURIComponent;
  const q = new URLSearchParams();
  if (t.container) q.set('container', t.container);
  for (const arg of t.command ?? []) q.append('command', arg);
  const s = q.toString();
  return `/c/${seg(t.cluster)}/shell/${seg(t.namespace)}/${seg(t.pod)}${s ? `?${s}` : ''}`;
}
