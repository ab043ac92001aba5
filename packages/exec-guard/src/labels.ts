// Label keys and label-safe values for exec guard. Kubernetes label values are
// at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric,
// while usernames ("system:serviceaccount:ns:sa", "alice@example.com") are not:
// the label carries a readable, safe form; the full name goes in an annotation.

export const LABEL_PREFIX = 'exec-guard.wheelhouse.dev';
export const INTERACTION_TIMESTAMP_LABEL = `${LABEL_PREFIX}/interaction-timestamp`;
export const INTERACTOR_LABEL = `${LABEL_PREFIX}/interactor`;
export const TTL_LABEL = `${LABEL_PREFIX}/ttl`;

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
