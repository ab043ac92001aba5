// Label keys, annotation names and label-safe values for exec guard. Kubernetes
// label values are at most 63 characters of [A-Za-z0-9._-], starting and ending
// alphanumeric, while usernames ("system:serviceaccount:ns:sa",
// "alice@example.com") are not: the label carries a readable, safe form; the
// full name goes in an annotation.

export const LABEL_PREFIX = 'exec-guard.wheelhouse.dev';

/** Label: unix seconds of the first kubectl exec/attach. Set once; changes are denied. */
export const INTERACTION_TIMESTAMP_LABEL = `${LABEL_PREFIX}/interaction-timestamp`;
/** Label: the first interactor's username, label-safe. Set once; changes are denied. */
export const INTERACTOR_LABEL = `${LABEL_PREFIX}/interactor`;
/** Label: the TTL the pod got at its first interaction, as a Go duration (`10m0s`). Set once; changes are denied. */
export const TTL_LABEL = `${LABEL_PREFIX}/ttl`;

/** The labels exec guard sets on a pod's first interaction and protects afterwards. */
export const PROTECTED_LABELS = [INTERACTION_TIMESTAMP_LABEL, INTERACTOR_LABEL, TTL_LABEL] as const;

/** Annotation: the first interactor's full username. */
export const INTERACTOR_ANNOTATION = `${LABEL_PREFIX}/interactor`;
/** Annotation: when exec guard evicts the pod (RFC 3339, UTC). Moved only by extensions. */
export const TERMINATION_TIME_ANNOTATION = `${LABEL_PREFIX}/termination-time`;
/** Annotation: id of the interaction record that labelled the pod (makes re-application after a crash idempotent). */
export const INTERACTION_ID_ANNOTATION = `${LABEL_PREFIX}/interaction-id`;
/** Annotation written by users (`kubectl pi extend`): a Go duration to add to the termination time. Consumed by exec guard. */
export const EXTENSION_REQUEST_ANNOTATION = `${LABEL_PREFIX}/extension-request`;
/** Annotation: the last extension exec guard applied (Go duration as requested). */
export const EXTENSION_ANNOTATION = `${LABEL_PREFIX}/extension`;
/** Annotation: who requested the last extension (full username, captured by the UPDATE hook). */
export const EXTENSION_REQUESTER_ANNOTATION = `${LABEL_PREFIX}/extension-requester`;

/** Annotation: id of the extension request last applied (idempotent re-application after a crash). */
export const EXTENSION_ID_ANNOTATION = `${LABEL_PREFIX}/extension-id`;

/** Annotations only exec guard itself may change once set. */
export const PROTECTED_ANNOTATIONS = [
  INTERACTOR_ANNOTATION,
  TERMINATION_TIME_ANNOTATION,
  INTERACTION_ID_ANNOTATION,
  EXTENSION_ANNOTATION,
  EXTENSION_REQUESTER_ANNOTATION,
  EXTENSION_ID_ANNOTATION,
] as const;

/** Event reason of every exec guard Event. */
export const EVENT_REASON = 'PodInteraction';
/** The component name on Events, Leases and field managers. */
export const COMPONENT = 'wheelhouse-exec-guard';

const MAX_LABEL_VALUE = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isValidLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE && LABEL_VALUE.test(value);
}

/** A label-safe rendering of a username: unsafe characters become '_', trimmed to 63 characters. */
export function labelSafeUsername(username: string): string {
  let v = username.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_LABEL_VALUE);
  v = v.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return v === '' ? 'unknown' : v;
}
