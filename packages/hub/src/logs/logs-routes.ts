// Pod logs API (a plugin under /api/v1):
//   GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/logs   WebSocket (every check before the upgrade)
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KubeName, KubeNamespace, LOGS_MAX_TAIL_LINES, type InventoryItemOf } from '@wheelhouse/protocol';
import type { Principal } from '../auth/types.js';
import { clusterName, requireVisibleCluster } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { HttpError, apiError, notFound, requirePrincipal } from '../http/errors.js';
import { pickContainer, upgradeAfterChecks } from '../http/pod-stream.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { LogRelay, LogStreamRequest, LogsLinkPort } from './log-relay.js';

export interface LogsRoutesOptions {
  clusters: ClusterStore;
  inventory: InventoryStore;
  relay: LogRelay;
  link: LogsLinkPort;
}

const PodParams = z.object({
  cluster: clusterName,
  namespace: KubeNamespace,
  pod: KubeName,
});
const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');
const LogsQuery = z
  .object({
    container: z.string().min(1).max(63).optional(),
    follow: flag,
    previous: flag,
    timestamps: flag,
    tailLines: z.coerce.number().int().min(0).max(LOGS_MAX_TAIL_LINES).optional(),
    sinceSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 24 * 3600)
      .optional(),
  })
  .strict();

function namesOf(pod: InventoryItemOf<'Pod'>, field: 'containers' | 'initContainers'): string[] {
  return pod.summary[field].map((c) => c.name);
}

export const logsRoutes: FastifyPluginCallback<LogsRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  const prepared = new WeakMap<FastifyRequest, LogStreamRequest>();

  app.route({
    method: 'GET',
    url: '/clusters/:cluster/pods/:namespace/:pod/logs',
    schema: {
      tags: ['logs'],
      summary: 'Stream a container log (WebSocket)',
      description:
        'JSON text frames from the hub: {type:"data",text}, {type:"dropped",bytes}, {type:"end",reason,message?}; then the socket closes. tailLines defaults to 500. A plain GET answers 426 after the same checks.',
      params: PodParams,
      querystring: LogsQuery,
    },
    preHandler: async (req) => {
      const { cluster, namespace, pod } = req.params;
      const principal = requirePrincipal<Principal>(req);
      await requireVisibleCluster(app, req, deps.clusters, cluster);
      await app.requirePermission(req, 'view', { cluster, namespace });
      if (!deps.link.isConnected(cluster)) throw apiError('agent_unavailable', { cluster });
      const item = await deps.inventory.get(cluster, 'Pod', namespace, pod);
      if (!item) throw notFound(`pod ${namespace}/${pod} in cluster "${cluster}"`);
      const containers = namesOf(item, 'containers');
      const initContainers = namesOf(item, 'initContainers');
      const picked = pickContainer({ namespace, pod, requested: req.query.container, containers, initContainers });
      if ('problem' in picked) throw new HttpError(picked.problem);
      const { container } = picked;
      const q = req.query;
      prepared.set(req, {
        user: principal.username,
        cluster,
        namespace,
        pod,
        container,
        follow: q.follow,
        previous: q.previous,
        timestamps: q.timestamps,
        ...(q.tailLines !== undefined ? { tailLines: q.tailLines } : {}),
        ...(q.sinceSeconds !== undefined ? { sinceSeconds: q.sinceSeconds } : {}),
      });
    },
    ...upgradeAfterChecks(prepared, (socket, start) => deps.relay.start(socket, start)),
  });
  done();
};
