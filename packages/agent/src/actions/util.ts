// Helpers the executors share: change-cause text, waiting for Kubernetes to
// show an effect, reading related objects.
import type * as k8s from '@kubernetes/client-node';
import { RESOURCE_KINDS, isRecord, type CommandEnvelope, type ResourceKind } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';

export const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/** kubernetes.io/change-cause: what, who, why (`kubectl rollout history` shows it). */
export function changeCause(command: CommandEnvelope, what: string): string {
  return `${what} by ${command.requestedBy} via Wheelhouse${command.reason ? `: ${command.reason}` : ''}`.slice(
    0,
    1024,
  );
}

export function collectionPath(kind: ResourceKind, namespace: string): string {
  const k = RESOURCE_KINDS[kind];
  const prefix = k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
  return k.namespaced ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${k.plural}` : `${prefix}/${k.plural}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns a value; after timeoutMs throws an error that
 * says what was awaited and what was last seen (the command's failure message).
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<{ done: T } | { seen: string }>,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // Controllers usually react within tens of milliseconds: look again soon, then back off.
  for (let wait = 25; ; wait = Math.min(wait * 2, intervalMs)) {
    const r = await check();
    if ('done' in r) return r.done;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}; last seen: ${r.seen}`);
    await sleep(wait);
  }
}

/** The object at `path`, or null if it does not exist. */
export async function getOrNull(kc: k8s.KubeConfig, path: string, what: string): Promise<KubeObject | null> {
  const res = await kubeRequest<KubeObject>(kc, 'GET', path);
  if (res.status === 404) return null;
  return ensureOk(res, what);
}

export async function listObjects(
  kc: k8s.KubeConfig,
  kind: ResourceKind | 'ControllerRevision',
  namespace: string,
  query = '',
): Promise<KubeObject[]> {
  const path =
    kind === 'ControllerRevision'
      ? `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/controllerrevisions`
      : collectionPath(kind, namespace);
  const body = ensureOk(
    await kubeRequest<{ items: KubeObject[] }>(kc, 'GET', `${path}${query ? `?${query}` : ''}`),
    `list ${kind}`,
  );
  return body.items;
}

export const ownedBy = (o: KubeObject, uid: string | undefined): boolean =>
  uid !== undefined && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);

/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: removed keys
 * become null, lists are replaced whole. Lets a rollback restore a template
 * exactly (an annotation added since that revision is removed, not kept).
 */
export function mergePatchBetween(from: unknown, to: unknown): unknown {
  if (!isRecord(from) || !isRecord(to)) return to;
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    const prev = Object.hasOwn(from, k) ? from[k] : undefined; // own keys only: "toString" is a key like any other
    if (prev !== undefined && JSON.stringify(prev) === JSON.stringify(v)) continue;
    patch[k] = isRecord(prev) && isRecord(v) ? mergePatchBetween(prev, v) : v;
  }
  return patch;
}
