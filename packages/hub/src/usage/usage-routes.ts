// Resource usage as metrics.k8s.io measured it (under /api/v1): the latest
// minute per pod or node ("top"), or one pod's or node's history for a day.
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ClusterParams, clusterVisible, requireCluster, scopeOf } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { requirePrincipal } from '../http/errors.js';
import type { UsageStore } from './usage-store.js';

export interface UsageRoutesOptions {
  clusters: ClusterStore;
  usage: UsageStore;
}

export const usageRoutes: FastifyPluginCallback<UsageRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/clusters/:cluster/usage/:kind',
    {
      schema: {
        tags: ['usage'],
        summary: 'Resource usage (metrics.k8s.io): the latest minute per pod or node, or one object’s day of history',
        params: ClusterParams.extend({ kind: z.enum(['pods', 'nodes']) }),
        querystring: z
          .object({
            namespace: z.string().max(63).optional(),
            /** With name: that pod's or node's history. */
            name: z.string().max(253).optional(),
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireCluster(deps.clusters, req.params.cluster);
      const { namespace, name } = req.query;
      const status = deps.usage.availability(c.name);
      if (req.params.kind === 'nodes') {
        // Nodes are cluster-scoped: cluster-wide view.
        await app.requirePermission(req, 'view', { cluster: c.name });
        if (name) return { ...status, history: await deps.usage.history(c.name, 'Node', '', name) };
        return { ...status, items: await deps.usage.topNodes(c.name) };
      }
      if (namespace) await app.requirePermission(req, 'view', { cluster: c.name, namespace });
      else if (!clusterVisible(principal, c.name)) await app.requirePermission(req, 'view', { cluster: c.name });
      if (name) {
        if (!namespace) {
          await app.requirePermission(req, 'view', { cluster: c.name });
        }
        return { ...status, history: await deps.usage.history(c.name, 'Pod', namespace ?? '', name) };
      }
      return {
        ...status,
        items: await deps.usage.topPods(c.name, namespace, (ns) => app.can(principal, 'view', scopeOf(c.name, ns))),
      };
    },
  );
  done();
};
