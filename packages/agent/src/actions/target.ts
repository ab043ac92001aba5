// Reading and changing an action's target with the guarantees commands need:
// a re-delivered command is recognised on the object itself (its id is in the
// wheelhouse.dev/commands annotation), and writes carry the resourceVersion
// they were computed from, so a concurrent change (409) means refetch and retry.
import type { KubeClientConfig } from '../kube-config.js';
import { recordOf, RESOURCE_KINDS, isResourceKind, type CommandTarget } from '@wheelhouse/protocol';
import { KubeApiError } from '@wheelhouse/exec-guard/kube-errors';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';

export const COMMANDS_ANNOTATION = 'wheelhouse.dev/commands';
/** How many recent command ids an object remembers. */
const REMEMBERED = 50;

export function objectPath(target: CommandTarget): string {
  if (!isResourceKind(target.kind)) throw new Error(`unsupported kind ${target.kind}`);
  const k = RESOURCE_KINDS[target.kind];
  const prefix = k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
  return `${prefix}${ns}/${k.plural}/${encodeURIComponent(target.name)}`;
}

export async function getTarget(kc: KubeClientConfig, target: CommandTarget): Promise<KubeObject> {
  const res = await kubeRequest<KubeObject>(kc, 'GET', objectPath(target));
  if (res.status === 404) {
    throw new KubeApiError(
      404,
      'NotFound',
      `${target.kind} ${target.namespace ? `${target.namespace}/` : ''}${target.name} not found`,
    );
  }
  return ensureOk(res, `get ${target.kind} ${target.name}`);
}

export function appliedCommands(o: KubeObject): string[] {
  const raw = o.metadata?.annotations?.[COMMANDS_ANNOTATION];
  return raw ? raw.split(',').filter(Boolean) : [];
}

export interface ApplyOnceResult {
  alreadyApplied: boolean;
  object: KubeObject;
  attempts: number;
}

/** Writes in progress per object: this agent's own commands on one object take turns. */
const lanes = new Map<string, Promise<void>>();

/** Runs fn after every earlier fn of the same key has finished. */
async function inLane<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = lanes.get(key) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((r) => (release = r));
  const tail = before.then(() => mine);
  lanes.set(key, tail);
  try {
    await before;
    return await fn();
  } finally {
    release();
    if (lanes.get(key) === tail) lanes.delete(key);
  }
}

/** How long conflicts (409) are refetched and retried by default. */
const CONFLICT_BUDGET_MS = 60_000;

/**
 * Applies `patchFor(current)` (a JSON merge patch) unless this command id is
 * already recorded on the object; records the id in the same write.
 *
 * This agent's commands on one object take turns (twenty commands re-delivered
 * onto one ConfigMap after a restart would otherwise each lose 409 rounds to
 * the others, and the last ones fail for no fault of their own); conflicts with
 * other writers (controllers writing status) are retried for a time budget.
 */
export function applyOnce(
  kc: KubeClientConfig,
  target: CommandTarget,
  commandId: string,
  patchFor: (current: KubeObject) => Record<string, unknown>,
  maxAttempts = Number.POSITIVE_INFINITY,
  /** Merge patch by default; a ControllerRevision's data is a strategic merge patch. */
  contentType:
    'application/merge-patch+json' | 'application/strategic-merge-patch+json' = 'application/merge-patch+json',
): Promise<ApplyOnceResult> {
  return inLane(objectPath(target), () => applyOnceNow(kc, target, commandId, patchFor, maxAttempts, contentType));
}

async function applyOnceNow(
  kc: KubeClientConfig,
  target: CommandTarget,
  commandId: string,
  patchFor: (current: KubeObject) => Record<string, unknown>,
  maxAttempts: number,
  contentType: 'application/merge-patch+json' | 'application/strategic-merge-patch+json',
): Promise<ApplyOnceResult> {
  const deadline = Date.now() + CONFLICT_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    const current = await getTarget(kc, target);
    const ids = appliedCommands(current);
    if (ids.includes(commandId)) return { alreadyApplied: true, object: current, attempts: attempt };
    const patch = patchFor(current);
    const meta = recordOf(patch.metadata);
    const annotations = recordOf(meta.annotations);
    const merged = {
      ...patch,
      metadata: {
        ...meta,
        resourceVersion: current.metadata?.resourceVersion,
        annotations: { ...annotations, [COMMANDS_ANNOTATION]: [...ids, commandId].slice(-REMEMBERED).join(',') },
      },
    };
    const res = await kubeRequest<KubeObject>(kc, 'PATCH', objectPath(target), merged, contentType);
    if (res.status === 409 && attempt < maxAttempts && Date.now() < deadline) {
      // A controller writing status (a rollout in progress) moves the
      // resourceVersion under us: back off a little, with jitter, then refetch.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(25 * 2 ** attempt, 1000)));
      continue;
    }
    return { alreadyApplied: false, object: ensureOk(res, `patch ${target.kind} ${target.name}`), attempts: attempt };
  }
}

/**
 * Whether an object was created after the command was requested: then it is a
 * successor with the same name (a StatefulSet pod, a re-created object), not
 * the command's target, and a re-delivered delete must leave it alone.
 */
export function createdAfterRequest(o: KubeObject, requestedAt: number | undefined): boolean {
  const created = o.metadata?.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : NaN;
  // creationTimestamp has whole seconds: only a later second proves "after".
  return requestedAt !== undefined && Number.isFinite(created) && created > requestedAt;
}
