// The global search (GET …/search, issue 18): a query's candidates from
// indexed SQL, ranked by the protocol's rule (object-search.ts there). The
// console used to list every object of 14 kinds into the browser for this.
//
// Every statement is one kind's index range, read from an index and cut after
// SEARCH_SCAN entries (the inner LIMIT), filtered by the query's other words on
// the index entries (name, namespace: no row's JSON) and cut again at PICK rows
// to Node. The ranges, per searched kind:
//   - each word as a name prefix: (cluster, kind, name) of resources_by_name_c;
//   - each word that is a permitted namespace: (cluster, namespace, kind) of resources_by_namespace (or resources_by_kind);
//   - the kinds a word names (pvc, svc, deploy…): the kind's names, in no order;
// and only while these found fewer than `limit` matches, the "contains" pass:
// each kind's names (up to SEARCH_SCAN), for a word inside a name. So a name that
// only contains a word is found in kinds of up to SEARCH_SCAN objects — 100k
// pods' names cost 16–55 ms (docs/performance.md) — and beyond that only in a
// namespace named among the words. That is the bound.
import { sql, type RawBuilder } from 'kysely';
import { SEARCHED_KINDS, kindsOfWord, rankSearch, type ObjectSearchHit, type SearchedKind } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';

/** Index entries one range reads at most: a kind of 100k objects is read whole (tens of ms). */
export const SEARCH_SCAN = 100_000;
/** Matching rows one range returns at most. */
const PICK = 200;
/** Above every character a Kubernetes name may hold ([a-z0-9.-]): prefix + '~' ends a prefix's range. */
const PREFIX_END = '~';
const CLUSTER_SCOPED: readonly string[] = ['Node', 'Namespace'];

/** One kind's index range: a name prefix, one namespace, or the kind's names. */
type Range = { kind: SearchedKind; prefix?: string; namespace?: string };

/**
 * The best `limit` matches of the query's words in a cluster. `permitted` is
 * null for a caller who may view everything, else the namespaces they may view
 * (then no cluster-scoped objects: Nodes, Namespaces).
 */
export async function searchObjects(
  db: HubDb,
  cluster: string,
  query: string,
  words: readonly string[],
  limit: number,
  permitted: readonly string[] | null,
): Promise<ObjectSearchHit[]> {
  if (words.length === 0 || permitted?.length === 0) return [];
  const kinds = SEARCHED_KINDS.filter((k) => permitted === null || !CLUSTER_SCOPED.includes(k));
  const unique = [...new Set(words)];
  // Words that are namespaces of this cluster the caller may view: one seek each on resources_by_namespace.
  const candidates = unique.filter((w) => permitted === null || permitted.includes(w));
  const namespaces =
    candidates.length === 0
      ? []
      : (
          await db
            .selectFrom('resources')
            .select('namespace')
            .distinct()
            .where('cluster_id', '=', cluster)
            .where('namespace', 'in', candidates)
            .execute()
        ).map((r) => r.namespace);
  const named = new Set(unique.flatMap(kindsOfWord));
  const ranges: Range[] = [
    ...unique.flatMap((prefix) => kinds.map((kind) => ({ kind, prefix }))),
    ...namespaces.flatMap((namespace) =>
      kinds.filter((k) => !CLUSTER_SCOPED.includes(k)).map((kind) => ({ kind, namespace })),
    ),
    ...kinds.filter((k) => named.has(k)).map((kind) => ({ kind })),
  ];
  const found = new Map<string, ObjectSearchHit>();
  for (const r of ranges) for (const hit of await readRange(db, cluster, r, unique, permitted)) found.set(hit.uid, hit);
  if (found.size < limit)
    for (const kind of kinds.filter((k) => !named.has(k)))
      for (const hit of await readRange(db, cluster, { kind }, unique, permitted)) found.set(hit.uid, hit);
  return rankSearch(found.values(), query, limit).map(({ kind, namespace, name, uid }) => ({
    kind,
    namespace,
    name,
    uid,
  }));
}

/**
 * One range's first SCAN index entries that match every word (a word naming
 * the kind matches all of them; any other must be inside the name or be the
 * namespace), at most PICK of them.
 */
async function readRange(
  db: HubDb,
  cluster: string,
  r: Range,
  words: readonly string[],
  permitted: readonly string[] | null,
): Promise<ObjectSearchHit[]> {
  const pg = isPostgres(db);
  // PostgreSQL compares names bytewise only when told (its index: resources_by_name_c).
  const name: RawBuilder<string> = pg ? sql<string>`name COLLATE "C"` : sql<string>`name`;
  let inner = db
    .selectFrom('resources')
    .select(['kind', 'namespace', 'name', 'uid'])
    .where('cluster_id', '=', cluster)
    .where('kind', '=', r.kind);
  if (permitted !== null) inner = inner.where('namespace', 'in', permitted);
  if (r.namespace !== undefined)
    inner = inner.where('namespace', '=', r.namespace).orderBy('namespace').orderBy('name');
  if (r.prefix !== undefined)
    inner = inner.where(sql<boolean>`${name} >= ${r.prefix} AND ${name} < ${r.prefix + PREFIX_END}`).orderBy(name);
  // A kind's names (a kind word, the contains pass) in no order: the database streams them from
  // whichever index it likes and stops at PICK matches. An ORDER BY over up to SEARCH_SCAN rows made
  // PostgreSQL sort the kind's 100k names before the first match (~270 ms at 100k pods).
  let outer = db.selectFrom(inner.limit(SEARCH_SCAN).as('c')).select(['kind', 'namespace', 'name', 'uid']);
  for (const w of words) {
    if (kindsOfWord(w).includes(r.kind)) continue;
    const inside = pg ? sql<boolean>`strpos(c.name, ${w}) > 0` : sql<boolean>`instr(c.name, ${w}) > 0`;
    outer = outer.where((eb) => eb.or([inside, eb('c.namespace', '=', w)]));
  }
  return outer.limit(PICK).execute();
}
