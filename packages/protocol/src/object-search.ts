// The top bar's "Search objects" box (GET …/search?q=, issue 18): what a query
// means and how its matches rank, in one place. The hub picks candidates from
// indexed SQL and ranks them with these; tests rank a plain list the same way.
import { kindFromAlias, type ResourceKind } from './kinds.js';

/** The kinds the box searches. */
export const SEARCHED_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Pod',
  'Node',
  'Service',
  'ConfigMap',
  'Ingress',
  'PersistentVolumeClaim',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Namespace',
] as const satisfies readonly ResourceKind[];
export type SearchedKind = (typeof SEARCHED_KINDS)[number];

/** A match: enough to show it and open its page. */
export interface ObjectSearchHit {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface ObjectSearchResult {
  items: ObjectSearchHit[];
}

/** q's bounds: two names' worth of characters, a few words; results per search. */
export const SEARCH_QUERY_MAX = 253 * 2;
export const SEARCH_WORDS_MAX = 8;
export const SEARCH_LIMIT_MAX = 50;
export const SEARCH_LIMIT_DEFAULT = 20;

/** "deploy/web prod" → ["deploy", "web", "prod"]: lower-case words split at spaces and slashes. */
export function searchWords(query: string): string[] {
  return query
    .toLowerCase()
    .split(/[\s/]+/)
    .filter(Boolean);
}

/** The searched kinds a word names: its kind (name, plural or kubectl short name: pvc, svc, deploy…) or a kind's prefix. */
export function kindsOfWord(word: string): SearchedKind[] {
  const alias = kindFromAlias(word);
  return SEARCHED_KINDS.filter((k) => k === alias || k.toLowerCase().startsWith(word));
}

/**
 * How well an object matches every word, or null when one word matches
 * nothing: a word naming the object's kind 1, its name exactly 4, a prefix of
 * it 3, inside it 2, a prefix of its kind or its namespace exactly 1.
 */
export function searchScore(
  it: { kind: string; namespace: string; name: string },
  words: readonly string[],
): number | null {
  const kind = it.kind.toLowerCase();
  const name = it.name.toLowerCase();
  const ns = it.namespace.toLowerCase();
  let score = 0;
  for (const w of words) {
    if (kindFromAlias(w) === it.kind) score += 1;
    else if (name === w) score += 4;
    else if (name.startsWith(w)) score += 3;
    else if (name.includes(w)) score += 2;
    else if (kind.startsWith(w) || ns === w) score += 1;
    else return null;
  }
  return score;
}

/** A kind's place in SEARCHED_KINDS (workloads first), for ties. */
const kindRank = (kind: string): number => {
  const i = (SEARCHED_KINDS as readonly string[]).indexOf(kind);
  return i < 0 ? SEARCHED_KINDS.length : i;
};

/**
 * The best `limit` matches of a query among objects: higher score, then
 * shorter name, then name, then kind (workloads first), then namespace — so
 * equal matches come in an order a person can predict (and Enter opens the
 * same one every time) — then uid.
 */
export function rankSearch<T extends ObjectSearchHit>(
  items: Iterable<T>,
  query: string,
  limit = SEARCH_LIMIT_DEFAULT,
): T[] {
  const words = searchWords(query);
  if (words.length === 0) return [];
  const scored: { it: T; score: number }[] = [];
  for (const it of items) {
    const score = searchScore(it, words);
    if (score !== null) scored.push({ it, score });
  }
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      a.it.name.length - b.it.name.length ||
      a.it.name.localeCompare(b.it.name) ||
      kindRank(a.it.kind) - kindRank(b.it.kind) ||
      a.it.namespace.localeCompare(b.it.namespace) ||
      (a.it.uid < b.it.uid ? -1 : a.it.uid > b.it.uid ? 1 : 0),
  );
  return scored.slice(0, limit).map((s) => s.it);
}
