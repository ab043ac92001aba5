// Pod logs API (a plugin under /api/v1):
//   GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/logs   WebSocket (every check before the upgrade)
//   GET /api/v1/clusters/{cluster}/workloads/{namespace}/{kind}/{name}/logs   every pod's containers, merged
// Needs logs:read on (cluster, namespace); each stream that opens is audited (logs.open: who, pod, container;
// logs.open_workload: who, workload), and each user may have maxStreamsPerUser open at once
// (429 too_many_log_streams; workload streams have their own limit, 429 too_many_workload_log_streams).
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CLIENT_MAX_FRAME_BYTES,
  KubeName,
  KubeNamespace,
  LOGS_MAX_TAIL_LINES,
  WORKLOAD_LOG_KINDS,
  type InventoryItemOf,
} from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/types.js';
import { clusterName, requireVisibleCluster } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { HttpError, apiError, notFound, requirePrincipal } from '../http/errors.js';
import { pickContainer, upgradeAfterChecks } from '../http/pod-stream.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { LogRelay, LogStreamRequest, LogsLinkPort } from './log-relay.js';
import type { WorkloadLogRelay, WorkloadLogRequest } from './workload-log-relay.js';

export interface LogsRoutesOptions {
  audit: AuditLog;
  clusters: ClusterStore;
  inventory: InventoryStore;
  relay: LogRelay;
  workloads: WorkloadLogRelay;
  link: LogsLinkPort & {
    /** The agent is reachable from this replica (its link here, or a tunnel to the replica holding it). */
    reach(cluster: string): Promise<boolean>;
  };
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

const WorkloadParams = z.object({
  cluster: clusterName,
  namespace: KubeNamespace,
  kind: z.enum(WORKLOAD_LOG_KINDS),
  name: KubeName,
});
const WorkloadLogsQuery = z
  .object({
    /** Only this container of each pod (a DNS-1123 label). */
    container: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a container name')
      .optional(),
    follow: flag,
    timestamps: flag,
    tailLines: LogsQuery.shape.tailLines,
    sinceSeconds: LogsQuery.shape.sinceSeconds,
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
      const target = { kind: 'Pod', namespace, name: pod };
      await requireVisibleCluster(app, req, deps.clusters, cluster);
      // Container logs are their own permission (a viewer has it; an inventory-viewer does not).
      await app.requirePermission(
        req,
        'logs:read',
        { cluster, namespace },
        { action: 'logs.open', target, params: { container: req.query.container ?? null } },
      );
      // What is refused after the permission check is audited too (outcome rejected, with the error).
      const reject = async (err: HttpError): Promise<never> => {
        await deps.audit.record({
          actor: principal.username,
          action: 'logs.open',
          clusterId: cluster,
          target,
          params: { container: req.query.container ?? null },
          outcome: 'rejected',
          reason: err.message,
          detail: { error: err.code },
        });
        throw err;
      };
      if (!(await deps.link.reach(cluster))) await reject(apiError('agent_unavailable', { cluster }));
      const item = await deps.inventory.get(cluster, 'Pod', namespace, pod);
      if (!item) return reject(notFound(`pod ${namespace}/${pod} in cluster "${cluster}"`));
      const containers = namesOf(item, 'containers');
      const initContainers = namesOf(item, 'initContainers');
      const picked = pickContainer({ namespace, pod, requested: req.query.container, containers, initContainers });
      if ('problem' in picked) return reject(new HttpError(picked.problem));
      const { container } = picked;
      const limit = deps.relay.maxStreamsPerUser;
      if (deps.relay.activeFor(principal.username) >= limit) {
        await reject(apiError('too_many_log_streams', { user: principal.username, limit }));
      }
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
    ...upgradeAfterChecks(prepared, CLIENT_MAX_FRAME_BYTES.logs, (socket, start) => deps.relay.start(socket, start)),
  });

  const preparedWorkload = new WeakMap<FastifyRequest, WorkloadLogRequest>();
  app.route({
    method: 'GET',
    url: '/clusters/:cluster/workloads/:namespace/:kind/:name/logs',
    schema: {
      tags: ['logs'],
      summary: "Stream every container log of a workload's pods, merged (WebSocket)",
      description:
        'JSON text frames: {type:"data",pod,container,text} (whole lines), {type:"joined"|"left",pod,container}, {type:"limited",pod,container,limit}, {type:"dropped",bytes,lines}, {type:"end",reason,message?}. Pods join and leave as they are replaced. A plain GET answers 426 after the same checks.',
      params: WorkloadParams,
      querystring: WorkloadLogsQuery,
    },
    preHandler: async (req) => {
      const { cluster, namespace, kind, name } = req.params;
      const principal = requirePrincipal<Principal>(req);
      const target = { kind, namespace, name };
      const params = { container: req.query.container ?? null };
      await requireVisibleCluster(app, req, deps.clusters, cluster);
      await app.requirePermission(
        req,
        'logs:read',
        { cluster, namespace },
        { action: 'logs.open_workload', target, params },
      );
      const reject = async (err: HttpError): Promise<never> => {
        await deps.audit.record({
          actor: principal.username,
          action: 'logs.open_workload',
          clusterId: cluster,
          target,
          params,
          outcome: 'rejected',
          reason: err.message,
          detail: { error: err.code },
        });
        throw err;
      };
      if (!(await deps.link.reach(cluster))) await reject(apiError('agent_unavailable', { cluster }));
      if (!(await deps.inventory.get(cluster, kind, namespace, name)))
        await reject(notFound(`${kind} ${namespace}/${name} in cluster "${cluster}"`));
      const limit = deps.workloads.maxStreamsPerUser;
      if (deps.workloads.activeFor(principal.username) >= limit)
        await reject(apiError('too_many_workload_log_streams', { user: principal.username, limit }));
      const q = req.query;
      preparedWorkload.set(req, {
        user: principal.username,
        cluster,
        namespace,
        kind,
        name,
        ...(q.container !== undefined ? { container: q.container } : {}),
        follow: q.follow,
        timestamps: q.timestamps,
        ...(q.tailLines !== undefined ? { tailLines: q.tailLines } : {}),
        ...(q.sinceSeconds !== undefined ? { sinceSeconds: q.sinceSeconds } : {}),
      });
    },
    ...upgradeAfterChecks(preparedWorkload, CLIENT_MAX_FRAME_BYTES.logs, (socket, start) =>
      deps.workloads.start(socket, start),
    ),
  });
  done();
};
