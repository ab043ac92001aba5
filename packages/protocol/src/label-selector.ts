// A label selector as the inventory list takes it (`?selector=app=web,tier=front`):
// equality terms only — what a Service, a ReplicationController or a workload's
// matchLabels hold, and what the console asks for ("Used by" of a Service). The
// set-based forms (`!=`, `in`, `notin`, `key`, `!key`) are refused by name
// rather than half-understood: no well-kept JavaScript parser of Kubernetes'
// selector grammar exists, and nothing in the console needs them.
import { isRecord, stringRecordOf } from './values.js';

/** At most this many terms (a Service's selector holds a few). */
export const MAX_SELECTOR_TERMS = 20;

/** A label value: empty, or up to 63 of [A-Za-z0-9_.-] starting and ending alphanumeric (Kubernetes' rule). */
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** A label key's name part: 1-63 of [A-Za-z0-9_.-], starting and ending alphanumeric. */
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** A key's optional prefix: a DNS subdomain (lower case), at most 253. */
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type LabelSelectorResult = { labels: Record<string, string> } | { error: string };

function keyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix)))
    return `"${key}": a key's prefix is a DNS subdomain (lower-case letters, digits, "-" and "."), at most 253`;
  if (name.length > 63 || !NAME.test(name))
    return `"${key}": a key's name is 1-63 of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
  return undefined;
}

/** Parses `key=value[,key=value…]` (`==` also accepted); an error names the term at fault. */
export function parseLabelSelector(text: string): LabelSelectorResult {
  if (text.trim() === '') return { error: 'empty: give at least one key=value term' };
  const terms = text.split(',');
  if (terms.length > MAX_SELECTOR_TERMS) return { error: `at most ${MAX_SELECTOR_TERMS} terms` };
  const labels: Record<string, string> = {};
  for (const raw of terms) {
    const term = raw.trim();
    if (/!=|\s(in|notin)\s*\(|^!/.test(term) || !term.includes('='))
      return { error: `"${term}": only key=value terms are supported (not !=, in, notin or existence)` };
    const m = /^([^=]*)==?(.*)$/.exec(term);
    const key = (m?.[1] ?? '').trim();
    const value = (m?.[2] ?? '').trim();
    const bad = keyError(key);
    if (bad) return { error: bad };
    if (value.length > 63 || !VALUE.test(value))
      return {
        error: `"${term}": a value is at most 63 of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
      };
    if (Object.hasOwn(labels, key)) return { error: `"${key}": each key at most once` };
    labels[key] = value;
  }
  return { labels };
}

/** The selector's text for a set of labels (sorted by key, so one selector is one URL). */
export function formatLabelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join(',');
}

/** Whether labels hold every term of the selector. */
export function selectorMatches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * Kinds whose inventory item carries a pod template (`summary.spec.template`):
 * what a Service's selector is matched against besides pods. A CronJob's
 * template is the Kubernetes object's `spec.jobTemplate.spec.template`; the
 * agent's projection keeps it at the same place as a Deployment's, so one path
 * serves every kind (ReplicaSets carry no template in their summary).
 */
export const TEMPLATE_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;

/** Where an item's pod template labels are in its JSON: the hub compares them in SQL at this path. */
export const TEMPLATE_LABELS_PATH = ['summary', 'spec', 'template', 'labels'] as const;

/** An item's pod template labels (string values only, as SQL's comparison sees them); none without a template. */
export function templateLabelsOf(item: { summary: unknown }): Record<string, string> {
  let v: unknown = item;
  for (const k of TEMPLATE_LABELS_PATH) v = isRecord(v) ? v[k] : undefined;
  return stringRecordOf(v) ?? {};
}
