// AdmissionReview bodies as exec guard reads them, validated at the boundary
// (only the fields it uses; pods inside UPDATE reviews pass through loosely),
// and the pure decisions of both hooks.
import { z } from 'zod';
import { formatDuration, parseDuration } from '@wheelhouse/protocol';
import { EXTENSION_REQUEST_ANNOTATION, INTERACTION_TIMESTAMP_LABEL, LABEL_PREFIX, PROTECTED_LABELS } from './labels.js';
import { interactionState } from './pod-state.js';

const nonEmpty = z.string().min(1).max(253);
const stringMap = z.record(z.string(), z.string());

const userInfo = z.object({
  username: z.string().min(1).max(1024),
  uid: z.string().max(1024).optional(),
  groups: z.array(z.string().max(1024)).max(1000).optional(),
  extra: z.record(z.string().max(1024), z.array(z.string().max(1024)).max(100)).optional(),
});

/**
 * The user-info extra the Wheelhouse agent sets (Impersonate-Extra-…) on an
 * exec it makes for a person while it acts as itself. Only an identity allowed
 * to `impersonate` `userextras/wheelhouse.dev/on-behalf-of` can set it (the
 * agent's chart grants that to the agent alone), so a person cannot forge it;
 * and the Kubernetes identity is always named beside it.
 */
export const ON_BEHALF_OF_EXTRA = 'wheelhouse.dev/on-behalf-of';

/** Who interacted, as exec guard names them: "alice via Wheelhouse (agent system:serviceaccount:…)", or the username. */
export function attributedUser(u: z.infer<typeof userInfo>): { user: string; onBehalfOf?: string } {
  const person = u.extra?.[ON_BEHALF_OF_EXTRA];
  if (person?.length !== 1 || !person[0]) return { user: u.username };
  return { user: `${person[0]} via Wheelhouse (agent ${u.username})`, onBehalfOf: person[0] };
}

const requestBase = z.object({
  uid: nonEmpty,
  kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
  resource: z.object({ group: z.string(), version: z.string(), resource: z.string() }),
  subResource: z.string().optional(),
  name: nonEmpty,
  namespace: nonEmpty,
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo,
  dryRun: z.boolean().optional(),
});

const connectOptions = z.looseObject({
  kind: z.string().optional(),
  container: z.string().max(253).optional(),
  command: z.array(z.string()).optional(),
  stdin: z.boolean().optional(),
  tty: z.boolean().optional(),
});

const podMeta = z.looseObject({
  metadata: z.looseObject({
    name: z.string().optional(),
    generateName: z.string().optional(),
    uid: z.string().optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  }),
});

const ephemeralContainer = z.looseObject({
  name: z.string().min(1).max(253),
  image: z.string().max(4096).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  targetContainerName: z.string().max(253).optional(),
  stdin: z.boolean().optional(),
  tty: z.boolean().optional(),
});

const podWithEphemeral = podMeta.extend({
  spec: z.looseObject({ ephemeralContainers: z.array(ephemeralContainer).max(1000).nullish() }).optional(),
});

const envelope = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
});

export const connectReviewSchema = envelope.extend({
  request: requestBase.extend({
    operation: z.literal('CONNECT'),
    resource: z.object({ group: z.literal(''), version: z.string(), resource: z.literal('pods') }),
    subResource: z.enum(['exec', 'attach', 'portforward']),
    object: connectOptions.nullish(),
  }),
});

const podsResource = z.object({ group: z.literal(''), version: z.string(), resource: z.literal('pods') });

/** CREATE and UPDATE of pods (the main resource). A CREATE has no oldObject, and no name yet with generateName. */
export const podReviewSchema = envelope.extend({
  request: z.discriminatedUnion('operation', [
    requestBase.extend({
      operation: z.literal('CREATE'),
      name: z.string().max(253).optional(),
      resource: podsResource,
      subResource: z.literal('').optional(),
      object: podMeta,
      oldObject: z.null().optional(),
    }),
    requestBase.extend({
      operation: z.literal('UPDATE'),
      resource: podsResource,
      subResource: z.literal('').optional(),
      object: podMeta,
      oldObject: podMeta,
    }),
  ]),
});

/** UPDATE of pods/ephemeralcontainers: what `kubectl debug` sends. */
export const debugReviewSchema = envelope.extend({
  request: requestBase.extend({
    operation: z.literal('UPDATE'),
    resource: podsResource,
    subResource: z.literal('ephemeralcontainers'),
    object: podWithEphemeral,
    oldObject: podWithEphemeral,
  }),
});

export type ConnectReview = z.infer<typeof connectReviewSchema>;
export type PodReview = z.infer<typeof podReviewSchema>;
export type DebugReview = z.infer<typeof debugReviewSchema>;
export type EphemeralContainer = z.infer<typeof ephemeralContainer>;

export class BadReview extends Error {}

/** Validates a parsed body, throwing BadReview with the first offending field named. */
export function parseReview<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  throw new BadReview(`invalid AdmissionReview: ${where}: ${issue?.message ?? 'invalid'}`);
}

export interface AdmissionResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: { uid: string; allowed: boolean; status?: { code: number; reason: string; message: string } };
}

export function allow(uid: string): AdmissionResponse {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } };
}

export function deny(uid: string, message: string, code: 403 | 429 = 403): AdmissionResponse {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: false,
      status: { code, reason: code === 429 ? 'TooManyRequests' : 'Forbidden', message },
    },
  };
}

/** Bounds what one interaction record may hold: commands are cut at this many characters in total. */
export const MAX_RECORDED_COMMAND_CHARS = 4096;

export function boundedCommand(command: string[] | undefined): { command?: string[]; truncated?: boolean } {
  if (command === undefined) return {};
  const out: string[] = [];
  let left = MAX_RECORDED_COMMAND_CHARS;
  for (const arg of command) {
    if (left <= 0 || out.length >= 256) return { command: out, truncated: true };
    if (arg.length > left) {
      out.push(arg.slice(0, left));
      return { command: out, truncated: true };
    }
    out.push(arg);
    left -= arg.length;
  }
  return { command: out };
}

export type DenyReason =
  | 'labels'
  | 'annotations'
  | 'reserved-keys'
  | 'not-interacted'
  | 'invalid-extension'
  | 'extension-too-long'
  | 'extension-total';

export type UpdateDecision =
  { kind: 'allow' } | { kind: 'deny'; reason: DenyReason; message: string } | { kind: 'extension'; duration: string };

export interface PodPolicy {
  /** Usernames exec guard acts as; undefined until it has learned its own (then only it is trusted with nothing). */
  selfUsernames: ReadonlySet<string> | undefined;
  /** Longest single extension request (ms). */
  maxExtensionMs: number;
  /** Most time all extensions together may add to a pod's TTL (ms). */
  maxTotalExtensionMs: number;
  /** TTL used when a pod's ttl label is unreadable. */
  ttlMs: number;
}

const PREFIX = `${LABEL_PREFIX}/`;
const ownKeys = (m: Record<string, string> | undefined): string[] =>
  Object.keys(m ?? {}).filter((k) => k.startsWith(PREFIX));
const plural = (n: number, word: string): string => (n > 1 ? `${word}s` : word);

/** Keys under exec guard's prefix whose value differs between two maps (added, changed or removed). */
function changedOwnKeys(
  before: Record<string, string> | undefined,
  after: Record<string, string> | undefined,
  except: readonly string[] = [],
): string[] {
  const keys = new Set([...ownKeys(before), ...ownKeys(after)]);
  return [...keys].filter((k) => !except.includes(k) && before?.[k] !== after?.[k]).sort();
}

/**
 * The pod hook's decision. Only exec guard sets its labels and annotations:
 * a pod cannot be created with any of them, other identities cannot add,
 * change or remove them, and the interaction labels never change once set
 * (not even by exec guard). Anyone who may update the pod can request an
 * extension, within the per-request and total caps.
 */
export function decidePodChange(review: PodReview, policy: PodPolicy): UpdateDecision {
  const req = review.request;
  const meta = req.object.metadata;
  if (req.operation === 'CREATE') {
    const keys = [...ownKeys(meta.labels), ...ownKeys(meta.annotations)].sort();
    if (keys.length === 0) return { kind: 'allow' };
    const name = req.name || meta.name || (meta.generateName ? `${meta.generateName}*` : '(unnamed)');
    return {
      kind: 'deny',
      reason: 'reserved-keys',
      message:
        `exec guard: pod/${name} cannot be created with ${keys.join(', ')}: only exec guard sets its labels and annotations, ` +
        `on the pod's first kubectl exec/attach/debug; remove them from the pod (or its workload's pod template)`,
    };
  }
  const oldMeta = req.oldObject.metadata;
  const oldLabels = oldMeta.labels ?? {};
  const newLabels = meta.labels ?? {};
  const changedLabels = PROTECTED_LABELS.filter((k) => oldLabels[k] !== undefined && newLabels[k] !== oldLabels[k]);
  if (changedLabels.length > 0) {
    return {
      kind: 'deny',
      reason: 'labels',
      message:
        `exec guard: the ${plural(changedLabels.length, 'label')} ${changedLabels.join(', ')} cannot be changed or removed once set ` +
        `(pod/${req.name} was entered with kubectl exec/attach and will be evicted); use 'kubectl pi extend' to extend its eviction time`,
    };
  }
  const isSelf = policy.selfUsernames?.has(req.userInfo.username) === true;
  if (!isSelf) {
    const why =
      policy.selfUsernames === undefined ? ' (exec guard has not learned its own identity yet; nobody else may)' : '';
    const labels = changedOwnKeys(oldMeta.labels, meta.labels);
    if (labels.length > 0) {
      return {
        kind: 'deny',
        reason: 'labels',
        message: `exec guard: the ${plural(labels.length, 'label')} ${labels.join(', ')} can only be set by exec guard${why}`,
      };
    }
    const annotations = changedOwnKeys(oldMeta.annotations, meta.annotations, [EXTENSION_REQUEST_ANNOTATION]);
    if (annotations.length > 0) {
      return {
        kind: 'deny',
        reason: 'annotations',
        message:
          `exec guard: the ${plural(annotations.length, 'annotation')} ${annotations.join(', ')} can only be changed by exec guard${why}; ` +
          `use 'kubectl pi extend' (annotation ${EXTENSION_REQUEST_ANNOTATION}) to extend the eviction time of pod/${req.name}`,
      };
    }
  }
  const requested = meta.annotations?.[EXTENSION_REQUEST_ANNOTATION];
  const before = oldMeta.annotations?.[EXTENSION_REQUEST_ANNOTATION];
  if (requested === undefined || requested === before) return { kind: 'allow' };
  const state = interactionState(req.oldObject, policy.ttlMs);
  if (newLabels[INTERACTION_TIMESTAMP_LABEL] === undefined || state === undefined) {
    return {
      kind: 'deny',
      reason: 'not-interacted',
      message: `exec guard: pod/${req.name} has not been interacted with (kubectl exec/attach); there is no eviction time to extend`,
    };
  }
  let ms: number;
  try {
    ms = parseDuration(requested);
  } catch (err) {
    return {
      kind: 'deny',
      reason: 'invalid-extension',
      message: `exec guard: annotation ${EXTENSION_REQUEST_ANNOTATION}: ${(err as Error).message}`,
    };
  }
  if (ms <= 0) {
    return {
      kind: 'deny',
      reason: 'invalid-extension',
      message: `exec guard: annotation ${EXTENSION_REQUEST_ANNOTATION}: the extension must be longer than 0s, got "${requested}"`,
    };
  }
  if (ms > policy.maxExtensionMs) {
    return {
      kind: 'deny',
      reason: 'extension-too-long',
      message:
        `exec guard: annotation ${EXTENSION_REQUEST_ANNOTATION}: "${requested}" is longer than the longest extension ` +
        `exec guard grants at once (${formatDuration(policy.maxExtensionMs)})`,
    };
  }
  // What extensions have added so far: the termination time beyond the first interaction plus the TTL.
  const extendedMs = Math.max(0, state.terminationAt - (state.interactedAt + state.ttlMs));
  const leftMs = Math.max(0, policy.maxTotalExtensionMs - extendedMs);
  if (ms > leftMs) {
    return {
      kind: 'deny',
      reason: 'extension-total',
      message:
        `exec guard: annotation ${EXTENSION_REQUEST_ANNOTATION}: pod/${req.name} was already extended by ${formatDuration(extendedMs)}; ` +
        `all extensions together may add at most ${formatDuration(policy.maxTotalExtensionMs)} ` +
        (leftMs >= 1000 ? `(at most ${formatDuration(Math.floor(leftMs / 1000) * 1000)} more)` : '(none left)'),
    };
  }
  return { kind: 'extension', duration: requested };
}

/** The ephemeral containers an UPDATE of pods/ephemeralcontainers adds (by name). */
export function addedEphemeralContainers(review: DebugReview): EphemeralContainer[] {
  const before = new Set((review.request.oldObject.spec?.ephemeralContainers ?? []).map((c) => c.name));
  return (review.request.object.spec?.ephemeralContainers ?? []).filter((c) => !before.has(c.name));
}
