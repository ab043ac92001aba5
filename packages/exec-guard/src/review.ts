// AdmissionReview bodies as exec guard reads them, validated at the boundary
// (only the fields it uses; pods inside UPDATE reviews pass through loosely),
// and the pure decisions of both hooks.
import { z } from 'zod';
import { parseDuration } from '@wheelhouse/protocol';
import {
  EXTENSION_REQUEST_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  PROTECTED_ANNOTATIONS,
  PROTECTED_LABELS,
} from './labels.js';

const nonEmpty = z.string().min(1).max(253);
const stringMap = z.record(z.string(), z.string());

const userInfo = z.object({
  username: z.string().min(1).max(1024),
  uid: z.string().max(1024).optional(),
  groups: z.array(z.string().max(1024)).max(1000).optional(),
});

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
    uid: z.string().optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  }),
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

export const podUpdateReviewSchema = envelope.extend({
  request: requestBase.extend({
    operation: z.literal('UPDATE'),
    resource: z.object({ group: z.literal(''), version: z.string(), resource: z.literal('pods') }),
    subResource: z.literal('').optional(),
    object: podMeta,
    oldObject: podMeta,
  }),
});

export type ConnectReview = z.infer<typeof connectReviewSchema>;
export type PodUpdateReview = z.infer<typeof podUpdateReviewSchema>;

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

export function deny(uid: string, message: string): AdmissionResponse {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } },
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

export type UpdateDecision =
  | { kind: 'allow' }
  | { kind: 'deny'; reason: 'labels' | 'annotations' | 'not-interacted' | 'invalid-extension'; message: string }
  | { kind: 'extension'; duration: string };

/**
 * The UPDATE hook's decision for a pod change: protected labels and annotations
 * cannot change once set (annotations: except by exec guard itself), and a new
 * extension request must be a positive Go duration on an interacted pod.
 */
export function decidePodUpdate(
  review: PodUpdateReview,
  selfUsernames: ReadonlySet<string> | undefined,
): UpdateDecision {
  const req = review.request;
  const oldLabels = req.oldObject.metadata.labels ?? {};
  const newLabels = req.object.metadata.labels ?? {};
  const changedLabels = PROTECTED_LABELS.filter((k) => oldLabels[k] !== undefined && newLabels[k] !== oldLabels[k]);
  if (changedLabels.length > 0) {
    return {
      kind: 'deny',
      reason: 'labels',
      message:
        `exec guard: the label${changedLabels.length > 1 ? 's' : ''} ${changedLabels.join(', ')} cannot be changed or removed once set ` +
        `(pod/${req.name} was entered with kubectl exec/attach and will be evicted); use 'kubectl pi extend' to extend its eviction time`,
    };
  }
  // Until exec guard knows its own identity it cannot tell its updates from others': annotations are then not protected.
  if (selfUsernames !== undefined && !selfUsernames.has(req.userInfo.username)) {
    const oldAnn = req.oldObject.metadata.annotations ?? {};
    const newAnn = req.object.metadata.annotations ?? {};
    const changed = PROTECTED_ANNOTATIONS.filter((k) => oldAnn[k] !== undefined && newAnn[k] !== oldAnn[k]);
    if (changed.length > 0) {
      return {
        kind: 'deny',
        reason: 'annotations',
        message:
          `exec guard: the annotation${changed.length > 1 ? 's' : ''} ${changed.join(', ')} can only be changed by exec guard; ` +
          `use 'kubectl pi extend' (annotation ${EXTENSION_REQUEST_ANNOTATION}) to extend the eviction time of pod/${req.name}`,
      };
    }
  }
  const requested = req.object.metadata.annotations?.[EXTENSION_REQUEST_ANNOTATION];
  const before = req.oldObject.metadata.annotations?.[EXTENSION_REQUEST_ANNOTATION];
  if (requested === undefined || requested === before) return { kind: 'allow' };
  if (newLabels[INTERACTION_TIMESTAMP_LABEL] === undefined) {
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
  return { kind: 'extension', duration: requested };
}
