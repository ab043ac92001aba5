// GET /api/v1/overview: what is broken now in every cluster the caller may
// see (the console's landing page; `wheelhouse` can read it too).
import type { FastifyPluginCallback } from 'fastify';
import { namespacePatterns } from '../auth/rbac.js';
import { clusterVisible } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { requirePrincipal } from '../http/errors.js';
import type { OverviewService } from './overview-service.js';

export interface OverviewRoutesOptions {
  clusters: ClusterStore;
  overview: OverviewService;
}

export const overviewRoutes: FastifyPluginCallback<OverviewRoutesOptions> = (app, deps, done) => {
  app.get(
    '/overview',
    {
      schema: {
        tags: ['overview'],
        summary: 'Unhealthy workloads, open insights and recent failed actions across the clusters the caller may see',
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const clusters = (await deps.clusters.list()).filter((c) => clusterVisible(principal, c.name));
      return deps.overview.get(clusters, (c) => namespacePatterns(principal.bindings, 'view', c));
    },
  );
  done();
};
