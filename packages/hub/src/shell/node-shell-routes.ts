// Node shell API (a plugin under /api/v1):
//   GET /api/v1/clusters/{cluster}/nodes/{node}/shell   WebSocket: a shell on the node (root, in the host's
//                                                      namespaces); ?session= takes back a detached one
// A node shell is a pod shell whose pod the agent makes for it (privileged, pinned to the node) and removes
// when it ends (docs/toolbox.md#node-shell): the same relay, so the same audit, recording, idle timeout,
// timeline (the node's) and limits. Checks before the upgrade, in order: node:shell on the whole cluster
// (a caller who sees nothing of the cluster gets its 404), the cluster, its nodeShell tier (409
// tier_disabled), the agent (503), the node (404), the per-user limit (429).
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CLIENT_MAX_FRAME_BYTES,
  KubeName,
  NODE_SHELL_CONTAINER,
  NODE_SHELL_DEFAULT_NAMESPACE,
} from '@wheelhouse/protocol';
import type { Principal } from '../auth/types.js';
import { clusterName, requireCluster } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { HttpError, apiError, notFound, requirePrincipal } from '../http/errors.js';
import { upgradeAfterChecks } from '../http/pod-stream.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { ShellRecords } from './shell-records.js';
import type { ShellRelay, ShellStartRequest } from './shell-relay.js';

export interface NodeShellRoutesOptions {
  clusters: ClusterStore;
  inventory: InventoryStore;
  records: ShellRecords;
  relay: ShellRelay;
  link: { reach(cluster: string): Promise<boolean> };
}

const NodeParams = z.object({ cluster: clusterName, node: KubeName });
const NodeShellQuery = z
  .object({
    cols: z.coerce.number().int().min(1).max(1000).default(80),
    rows: z.coerce.number().int().min(1).max(1000).default(24),
    /** Take back this detached node shell of yours (after a reload) instead of starting one. */
    session: z.uuid().optional(),
  })
  .strict();

export const nodeShellRoutes: FastifyPluginCallback<NodeShellRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  const prepared = new WeakMap<FastifyRequest, ShellStartRequest>();

  app.route({
    method: 'GET',
    url: '/clusters/:cluster/nodes/:node/shell',
    schema: {
      tags: ['shell'],
      summary: 'Open a node shell (WebSocket): root on the node through a short-lived privileged pod',
      description:
        "Frames as for a pod shell. Needs node:shell on the whole cluster and the cluster's nodeShell tier. The agent creates the pod, opens the shell when it runs (an error frame says why when it cannot start) and deletes it when the shell ends. A plain GET answers 426 after the same checks.",
      params: NodeParams,
      querystring: NodeShellQuery,
    },
    preHandler: async (req) => {
      const { cluster, node } = req.params;
      const principal = requirePrincipal<Principal>(req);
      await app.requirePermission(
        req,
        'node:shell',
        { cluster },
        { action: 'shell.start', target: { kind: 'Node', namespace: '', name: node }, params: { node } },
      );
      const c = await requireCluster(deps.clusters, cluster);
      const namespace = c.capabilities.nodeShellNamespace ?? NODE_SHELL_DEFAULT_NAMESPACE;
      const ref = { cluster, namespace, pod: '', node };
      const reject = async (err: HttpError): Promise<never> => {
        await deps.records.rejected(principal.username, ref, err);
        throw err;
      };
      if (!c.capabilities.nodeShell) {
        await reject(
          apiError(
            'tier_disabled',
            {
              message: `node shells (the nodeShell tier: agent --tiers …,nodeShell, chart actions.nodeShell) are not enabled on cluster "${cluster}"`,
            },
            { tier: 'nodeShell', cluster },
          ),
        );
      }
      if (!(await deps.link.reach(cluster))) await reject(apiError('agent_unavailable', { cluster }));
      if (!(await deps.inventory.get(cluster, 'Node', '', node))) {
        await reject(notFound(`node ${node} in cluster "${cluster}"`));
      }
      const base = {
        user: principal.username,
        cluster,
        namespace,
        container: NODE_SHELL_CONTAINER,
        command: null,
        clientAddress: req.ip,
        cols: req.query.cols,
        rows: req.query.rows,
        node,
      };
      const session = req.query.session;
      if (session !== undefined) {
        const live = deps.relay.live(session);
        const who = { ...base, pod: live?.pod ?? '' };
        if (!live || !deps.relay.canReattach(session, who))
          await reject(apiError('shell_session_gone', { session }, { session }));
        prepared.set(req, { ...who, reattach: session });
        return;
      }
      if (deps.relay.activeFor(principal.username) >= deps.relay.maxSessionsPerUser) {
        await reject(apiError('too_many_sessions', { user: principal.username, limit: deps.relay.maxSessionsPerUser }));
      }
      // The pod's name comes from the session id, which the relay makes.
      prepared.set(req, { ...base, pod: '' });
    },
    ...upgradeAfterChecks(prepared, CLIENT_MAX_FRAME_BYTES.shell, (socket, start) =>
      start.reattach ? deps.relay.reattach(socket, start) : deps.relay.start(socket, start),
    ),
  });
  done();
};
