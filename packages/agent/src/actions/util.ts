// Helpers the executors share: change-cause text, waiting for Kubernetes to
// show an effect, reading related objects.
import type { KubeClientConfig } from '../kube-config.js';
import { RESOURCE_KINDS, isRecord, type CommandEnvelope, type ResourceKind } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest, kubeWatch } from '../kube-http.js';
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

/**
 * Like waitFor, for one object: `check` sees the object as it is now and then
 * every change to it, through a watch (`path` is the object's own path), so
 * the command learns of the controller's status update when it happens rather
 * than at the next poll. If the watch cannot be had (an identity allowed get
 * but not watch) or keeps ending, it polls like waitFor for the time left.
 */
export async function watchUntil<T>(
  kc: KubeClientConfig,
  path: string,
  what: string,
  timeoutMs: number,
  check: (o: KubeObject) => { done: T } | { seen: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const slash = path.lastIndexOf('/');
  const collection = path.slice(0, slash);
  const name = decodeURIComponent(path.slice(slash + 1));
  const read = async (): Promise<KubeObject> => ensureOk(await kubeRequest<KubeObject>(kc, 'GET', path), what);
  let seen = '';
  // Two watches at most: one that ends early (an expired resourceVersion, a dropped connection) is retried once.
  for (let attempt = 0; attempt < 2 && Date.now() < deadline; attempt++) {
    const now = await read();
    const r = check(now);
    if ('done' in r) return r.done;
    seen = r.seen;
    const outcome = await new Promise<{ done: T } | 'ended'>((resolve) => {
      let abort: AbortController | null = null;
      let settled = false;
      const settle = (v: { done: T } | 'ended'): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        abort?.abort();
        resolve(v);
      };
      const timer = setTimeout(() => settle('ended'), Math.max(0, deadline - Date.now()));
      kubeWatch(
        kc,
        collection,
        {
          fieldSelector: `metadata.name=${name}`,
          resourceVersion: now.metadata?.resourceVersion ?? '0',
          timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)),
        },
        (phase: string, obj: unknown) => {
          if (phase !== 'ADDED' && phase !== 'MODIFIED') return; // ERROR (410 Gone…), DELETED: read again
          const c = check(obj as KubeObject);
          if ('done' in c) settle(c);
          else seen = c.seen;
        },
        () => settle('ended'),
      ).then(
        (a) => {
          abort = a;
          if (settled) a.abort();
        },
        () => settle('ended'),
      );
    });
    if (outcome !== 'ended') return outcome.done;
  }
  // No watch to be had: poll for the time left.
  return waitFor(what, Math.max(0, deadline - Date.now()), async () => {
    const r = check(await read());
    if ('seen' in r) seen = r.seen;
    return r;
  }).catch((err: unknown) => {
    throw err instanceof Error && seen && !err.message.includes('last seen')
      ? new Error(`${err.message}; last seen: ${seen}`)
      : err;
  });
}

/** The object at `path`, or null if it does not exist. */
export async function getOrNull(kc: KubeClientConfig, path: string, what: string): Promise<KubeObject | null> {
  const res = await kubeRequest<KubeObject>(kc, 'GET', path);
  if (res.status === 404) return null;
  return ensureOk(res, what);
}

export async function listObjects(
  kc: KubeClientConfig,
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
