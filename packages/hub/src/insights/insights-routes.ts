// A cluster's health insights (under /api/v1): open and resolved, scoped to the
// namespaces the caller may view.
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { INSIGHT_STATES } from '@wheelhouse/protocol';
import { ClusterParams, clusterVisible, requireCluster, scopeOf } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { requirePrincipal } from '../http/errors.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { TimelineStore } from '../timeline/timeline-store.js';
import type { InsightStore } from './insight-store.js';
import { withRootCauses } from './root-cause-lookup.js';

export interface InsightsRoutesOptions {
  clusters: ClusterStore;
  insights: InsightStore;
  timeline: TimelineStore;
  inventory: InventoryStore;
}

export const insightsRoutes: FastifyPluginCallback<InsightsRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/clusters/:cluster/insights',
    {
      schema: {
        tags: ['insights'],
        summary: "The cluster's health insights: what is wrong, where, since when, evidence and likely fix",
        params: ClusterParams,
        querystring: z
          .object({
            state: z.enum(INSIGHT_STATES).optional(),
            namespace: z.string().max(63).optional(),
            kind: z.string().max(63).optional(),
            name: z.string().max(253).optional(),
            limit: z.coerce.number().int().min(1).max(5000).default(1000),
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireCluster(deps.clusters, req.params.cluster);
      const { namespace } = req.query;
      if (namespace) await app.requirePermission(req, 'view', { cluster: c.name, namespace });
      else if (!clusterVisible(principal, c.name)) await app.requirePermission(req, 'view', { cluster: c.name });
      const items = await deps.insights.query(c.name, req.query, (ns) =>
        app.can(principal, 'view', scopeOf(c.name, ns)),
      );
      return { items: await withRootCauses(deps, c.name, items) };
    },
  );
  done();
};
