// A cluster's inventory as the agent reports it, and one live object read
// through the agent (under /api/v1).
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  KubeName,
  KubeNamespace,
  MAX_COUNTED_NODES,
  NODE_LIST_SORTS,
  NODE_STATUSES,
  RESOURCE_KINDS,
  RESOURCE_KIND_NAMES,
  SEARCH_LIMIT_DEFAULT,
  SEARCH_LIMIT_MAX,
  SEARCH_QUERY_MAX,
  SEARCH_WORDS_MAX,
  TEMPLATE_KINDS,
  WORKLOAD_LIST_KINDS,
  isResourceKind,
  parseLabelSelector,
  searchWords,
} from '@wheelhouse/protocol';
import { namespacePatterns } from '../auth/rbac.js';
import type { Principal } from '../auth/types.js';
import { ClusterParams, limit, requireVisibleCluster, scopeOf } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { badRequest, requirePrincipal, unwrap } from '../http/errors.js';
import { LIVE_POSITION_HEADER, type LiveBus } from '../live/live-bus.js';
import type { ObjectReader } from '../objects/object-reader.js';
import { LIST_SORTS, WORKLOAD_SORTS, isListQuery, type InventoryStore } from './inventory-store.js';

export interface InventoryRoutesOptions {
  clusters: ClusterStore;
  inventory: InventoryStore;
  /** Reads live objects through the agent (GET …/objects). */
  objects: ObjectReader;
  /** The live feed, whose position each read the console follows carries (LIVE_POSITION_HEADER). */
  live: LiveBus;
}

const NamePrefix = z.string().regex(/^[a-z0-9.-]{1,253}$/, 'a name prefix: 1-253 of a-z, 0-9, "." and "-"');
/** "Kind/name" owners, comma-separated, at most 50 (a Deployment's ReplicaSets kept by its revision history). */
const OwnerList = z
  .string()
  .transform((s) => s.split(','))
  .pipe(
    z
      .array(z.string().regex(/^[A-Za-z]{1,63}\/[a-z0-9.-]{1,253}$/, 'an owner: Kind/name, e.g. ReplicaSet/web-5d9c'))
      .min(1)
      .max(50, 'at most 50 owners'),
  );
/** `key=value[,key=value…]`, equality terms only (protocol/label-selector.ts), as the labels they require. */
const LabelSelector = z
  .string()
  .max(2048)
  .transform((s, ctx) => {
    const r = parseLabelSelector(s);
    if ('labels' in r) return r.labels;
    ctx.addIssue({ code: 'custom', message: `a label selector, key=value[,key=value…]: ${r.error}` });
    return z.NEVER;
  });
const BoolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
/** A sorted list's direction, keyset paging and total, as every list route takes them. */
/**
 * A list position to read a page from (issue 18: a scrollbar dragged deep into a long list), the
 * first row 0. Bounded well above any cluster's objects: the hub steps over the sort's index up to it.
 */
export const AT_MAX = 10_000_000;
const Paging = {
  order: z.enum(['asc', 'desc']).optional(),
  cursor: z.string().max(2048).optional(),
  at: z
    .string()
    .regex(/^\d{1,8}$/, `a list position: a whole number from 0 to ${String(AT_MAX)}`)
    .transform(Number)
    .pipe(z.number().max(AT_MAX, `a list position: a whole number from 0 to ${String(AT_MAX)}`))
    .optional(),
  limit,
  count: BoolParam.optional(),
};

/** A page starts at a position or after a cursor, not both: 400 naming `at`. */
function atOrCursor(q: { at?: number; cursor?: string }): void {
  if (q.at === undefined || q.cursor === undefined) return;
  const message = 'querystring.at: not with cursor (a page starts at a position or after a cursor)';
  throw badRequest(message, { issues: [{ path: 'querystring.at', message }] });
}

export const inventoryRoutes: FastifyPluginCallback<InventoryRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  /**
   * The reads the console keeps current from the live feed answer with the feed's position taken
   * here, before the handler reads the store: the console compares it with its socket's subscription
   * and asks again only when something may have been published in between (live-bus.ts).
   */
  const livePosition = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { cluster } = req.params as { cluster: string };
    void reply.header(LIVE_POSITION_HEADER, deps.live.position(cluster));
  };

  app.get(
    '/clusters/:cluster/resources',
    {
      preHandler: livePosition,
      schema: {
        tags: ['inventory'],
        params: ClusterParams,
        querystring: z
          .object({
            kind: z.string().max(63).optional(),
            namespace: z.string().max(63).optional(),
            name: z.string().max(253).optional(),
            ...Paging,
            // One kind's list as the console pages it (issue 18); these (and order, count) need kind.
            sort: z.enum(LIST_SORTS).optional(),
            prefix: NamePrefix.optional(),
            status: z
              .string()
              .regex(/^[A-Za-z]{1,63}$/, "a pod's phase (e.g. Running) or a node's status (e.g. NotReady)")
              .optional(),
            // Pods on one node (the node page, over the node index of migration 017).
            node: KubeName.optional(),
            // Objects owned by these, in one namespace (a workload's ReplicaSets, its pods: the Timeline tab).
            owner: OwnerList.optional(),
            // Objects whose labels hold every key=value (a Service's pods), in one namespace, compared in SQL.
            selector: LabelSelector.optional(),
            // Workloads whose pod template's labels hold every key=value (a Service's workloads), likewise.
            templateSelector: LabelSelector.optional(),
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const { namespace } = req.query;
      if (isListQuery(req.query) && req.query.kind === undefined) {
        const message =
          'querystring.kind: required with sort, order, prefix, status, node, owner, selector, templateSelector, at or count (they list one kind)';
        throw badRequest(message, { issues: [{ path: 'querystring.kind', message }] });
      }
      atOrCursor(req.query);
      if (req.query.owner !== undefined && namespace === undefined) {
        const message = 'querystring.namespace: required with owner (owner references stay in their namespace)';
        throw badRequest(message, { issues: [{ path: 'querystring.namespace', message }] });
      }
      if (req.query.selector !== undefined && namespace === undefined) {
        // Labels are compared in each row's JSON: bounded by one namespace's index range, never the cluster's.
        const message = "querystring.namespace: required with selector (it is matched within one namespace's objects)";
        throw badRequest(message, { issues: [{ path: 'querystring.namespace', message }] });
      }
      if (req.query.templateSelector !== undefined) {
        if (namespace === undefined) {
          const message =
            "querystring.namespace: required with templateSelector (it is matched within one namespace's workloads)";
          throw badRequest(message, { issues: [{ path: 'querystring.namespace', message }] });
        }
        if (!(TEMPLATE_KINDS as readonly (string | undefined)[]).includes(req.query.kind)) {
          const message = `querystring.kind: templateSelector matches a pod template: kind must be one of ${TEMPLATE_KINDS.join(', ')}`;
          throw badRequest(message, { issues: [{ path: 'querystring.kind', message }] });
        }
      }
      if (namespace) await app.requirePermission(req, 'view', { cluster: c.name, namespace });
      return deps.inventory.query(c.name, req.query, namespacePatterns(principal.bindings, 'view', c.name));
    },
  );

  // The Nodes page (issue 18): nodes paged, sorted and filtered in SQL, each with
  // its pods counted over the page's nodes only. Scoped like resources (a
  // namespace-scoped viewer lists no nodes; pods are counted in their namespaces).
  app.get(
    '/clusters/:cluster/nodes',
    {
      preHandler: livePosition,
      schema: {
        tags: ['inventory'],
        summary: 'Nodes with their pods counted, paged, sorted and filtered',
        params: ClusterParams,
        querystring: z
          .object({
            prefix: NamePrefix.optional(),
            status: z.enum(NODE_STATUSES).optional(),
            sort: z.enum(NODE_LIST_SORTS).optional(),
            ...Paging,
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      atOrCursor(req.query);
      return deps.inventory.nodePage(c.name, req.query, namespacePatterns(principal.bindings, 'view', c.name));
    },
  );

  // The Nodes page's counts kept live (issue 18): the nodes in view counted again
  // as pods come and go — a few index ranges, never the whole cluster's nodes.
  // Scoped like resources: a viewer of some namespaces counts the pods there.
  app.get(
    '/clusters/:cluster/pods-by-node',
    {
      preHandler: livePosition,
      schema: {
        tags: ['inventory'],
        summary: 'How many pods each of the named nodes runs (of the namespaces the caller may view)',
        params: ClusterParams,
        querystring: z
          .object({
            nodes: z
              .string()
              .transform((s) => s.split(','))
              .pipe(z.array(KubeName).min(1).max(MAX_COUNTED_NODES, `at most ${MAX_COUNTED_NODES} nodes`)),
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const patterns = namespacePatterns(principal.bindings, 'view', c.name);
      return { items: await deps.inventory.podsOnNodes(c.name, req.query.nodes, patterns) };
    },
  );

  // The Workloads page (issue 18): workloads paged, sorted and filtered in SQL, each
  // with its pods counted by the hub. Scoped like resources.
  app.get(
    '/clusters/:cluster/workloads',
    {
      preHandler: livePosition,
      schema: {
        tags: ['inventory'],
        summary: 'Workloads with their pods counted (ready, total, restarts), paged, sorted and filtered',
        params: ClusterParams,
        querystring: z
          .object({
            kind: z.enum(WORKLOAD_LIST_KINDS).optional(),
            namespace: KubeNamespace.optional(),
            prefix: NamePrefix.optional(),
            unhealthy: BoolParam.optional(),
            sort: z.enum(WORKLOAD_SORTS).optional(),
            ...Paging,
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const { namespace } = req.query;
      atOrCursor(req.query);
      if (namespace) await app.requirePermission(req, 'view', { cluster: c.name, namespace });
      return deps.inventory.workloadPage(c.name, req.query, namespacePatterns(principal.bindings, 'view', c.name));
    },
  );

  // The top bar's search (issue 18): the best matches of a few words over the
  // searched kinds, from index ranges (object-search.ts) — the console no
  // longer lists 14 kinds whole for it. Scoped like resources.
  app.get(
    '/clusters/:cluster/search',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Objects whose kind, namespace or name match every word of q, best first',
        params: ClusterParams,
        querystring: z
          .object({
            q: z
              .string()
              .max(SEARCH_QUERY_MAX, `at most ${SEARCH_QUERY_MAX} characters`)
              .refine((q) => searchWords(q).length > 0, 'at least one word (a name, kind or namespace)')
              .refine(
                (q) => searchWords(q).length <= SEARCH_WORDS_MAX,
                `at most ${SEARCH_WORDS_MAX} words (split at spaces and "/")`,
              ),
            limit: z.coerce.number().int().min(1).max(SEARCH_LIMIT_MAX).default(SEARCH_LIMIT_DEFAULT),
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const { q, limit: max } = req.query;
      const patterns = namespacePatterns(principal.bindings, 'view', c.name);
      return { items: await deps.inventory.search(c.name, q, searchWords(q), max, patterns) };
    },
  );

  app.get(
    '/clusters/:cluster/objects',
    {
      schema: {
        tags: ['inventory'],
        summary: 'One live object, read through the agent (never Secrets)',
        params: ClusterParams,
        querystring: z
          .object({
            kind: z.string().min(1).max(63),
            namespace: KubeNamespace.optional(),
            name: KubeName,
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal<Principal>(req);
      const { kind, name } = req.query;
      const namespace = req.query.namespace ?? '';
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      if (!isResourceKind(kind)) {
        const message = `querystring.kind: "${kind}" is not a kind Wheelhouse reads (Secrets never are); kinds: ${RESOURCE_KIND_NAMES.join(', ')}`;
        throw badRequest(message, { issues: [{ path: 'querystring.kind', message }] });
      }
      const namespaced = RESOURCE_KINDS[kind].namespaced;
      if (namespaced && namespace === '') {
        const message = `querystring.namespace: required for ${kind}`;
        throw badRequest(message, { issues: [{ path: 'querystring.namespace', message }] });
      }
      if (!namespaced && namespace !== '') {
        const message = `querystring.namespace: ${kind} is cluster-scoped, leave namespace out`;
        throw badRequest(message, { issues: [{ path: 'querystring.namespace', message }] });
      }
      // A live object's full contents (a ConfigMap's data) are their own permission, not the inventory's view.
      await app.requirePermission(req, 'object:read', scopeOf(c.name, namespace));
      return unwrap(await deps.objects.get({ cluster: c.name, kind, namespace, name, user: principal.username }));
    },
  );
  done();
};
