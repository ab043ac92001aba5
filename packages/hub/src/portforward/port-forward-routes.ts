// Pod port-forward API (a plugin under /api/v1):
//   GET  /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/portforward?port=N   WebSocket, one per TCP connection
//   POST /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/portforward/http     {port}: open it in a browser tab
//                                                                               (the tab's URL: http-forward-routes.ts)
// Needs pod:port-forward on (cluster, namespace) and the cluster's podExec tier (the agent's RBAC has
// `create pods/portforward` only there). Every check happens before the upgrade; each connection that opens is
// audited (portforward.open: who, pod, port), and so is each refusal. maxPerUser connections per user at once.
// A browser forward is audited once, when it is opened, not per request of its tab.
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLIENT_MAX_FRAME_BYTES, KubeName, KubeNamespace, PortNumber } from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/types.js';
import { clusterName, requireCluster } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { HttpError, apiError, notFound, requirePrincipal } from '../http/errors.js';
import { upgradeAfterChecks } from '../http/pod-stream.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import { HTTP_FORWARD_PREFIX, type HttpForwards } from './http-forwards.js';
import type { PortForwardLinkPort, PortForwardRelay, PortForwardRequest } from './port-forward-relay.js';

export interface PortForwardRoutesOptions {
  audit: AuditLog;
  clusters: ClusterStore;
  inventory: InventoryStore;
  relay: PortForwardRelay;
  link: PortForwardLinkPort;
  httpForwards: HttpForwards;
}

const PodParams = z.object({ cluster: clusterName, namespace: KubeNamespace, pod: KubeName });
const PortForwardQuery = z.object({ port: PortNumber }).strict();
const HttpForwardBody = z.object({ port: PortNumber }).strict();

export const portForwardRoutes: FastifyPluginCallback<PortForwardRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  const prepared = new WeakMap<FastifyRequest, PortForwardRequest>();

  /**
   * Every check before a forward (a connection, or a browser tab): permission, tier, agent, pod Running, the
   * user's limit. Refusals are audited (portforward.open), as denials by the permission check.
   */
  async function checkForward(
    req: FastifyRequest,
    { cluster, namespace, pod, port }: { cluster: string; namespace: string; pod: string; port: number },
    what: 'connection' | 'tab',
  ): Promise<Principal> {
    const principal = requirePrincipal<Principal>(req);
    const target = { kind: 'Pod', namespace, name: pod };
    // Denials (and clusters the caller cannot see) are audited by the permission check.
    await app.requirePermission(
      req,
      'pod:port-forward',
      { cluster, namespace },
      { action: 'portforward.open', target, params: { port } },
    );
    const reject = async (err: HttpError): Promise<never> => {
      await deps.audit.record({
        actor: principal.username,
        action: 'portforward.open',
        clusterId: cluster,
        target,
        params: { port },
        outcome: 'rejected',
        reason: err.message,
        detail: { error: err.code },
      });
      throw err;
    };
    const c = await requireCluster(deps.clusters, cluster);
    if (!c.capabilities.podExec) {
      await reject(
        apiError(
          'tier_disabled',
          { message: `port-forward (the podExec tier) is not enabled on cluster "${cluster}"` },
          { tier: 'podExec', cluster },
        ),
      );
    }
    if (!deps.link.isConnected(cluster)) await reject(apiError('agent_unavailable', { cluster }));
    const item = await deps.inventory.get(cluster, 'Pod', namespace, pod);
    if (!item) return reject(notFound(`pod ${namespace}/${pod} in cluster "${cluster}"`));
    const phase = item.summary.phase;
    if (phase !== 'Running') {
      await reject(
        apiError(
          'pod_not_running',
          { namespace, pod, phase: typeof phase === 'string' ? phase : 'Unknown' },
          { phase: typeof phase === 'string' ? phase : null },
        ),
      );
    }
    if (deps.relay.activeFor(principal.username) >= deps.relay.maxPerUser) {
      await reject(apiError('too_many_port_forwards', { user: principal.username, limit: deps.relay.maxPerUser }));
    }
    if (what === 'tab' && deps.httpForwards.activeFor(principal.username) >= deps.httpForwards.maxPerUser) {
      await reject(
        apiError('too_many_port_forwards', {
          user: principal.username,
          limit: deps.httpForwards.maxPerUser,
          what: 'browser tabs',
        }),
      );
    }
    return principal;
  }

  app.route({
    method: 'GET',
    url: '/clusters/:cluster/pods/:namespace/:pod/portforward',
    schema: {
      tags: ['port-forward'],
      summary: "Forward one TCP connection to a pod's port (WebSocket)",
      description:
        'Binary frames carry the connection\'s bytes both ways. The hub ends with one text frame {type:"end",reason,message?} and closes. port is 1–65535. A plain GET answers 426 after the same checks.',
      params: PodParams,
      querystring: PortForwardQuery,
    },
    preHandler: async (req) => {
      const { cluster, namespace, pod } = req.params;
      const { port } = req.query;
      const principal = await checkForward(req, { cluster, namespace, pod, port }, 'connection');
      prepared.set(req, { user: principal.username, cluster, namespace, pod, port });
    },
    ...upgradeAfterChecks(prepared, CLIENT_MAX_FRAME_BYTES.portForward, (socket, start) =>
      deps.relay.start(socket, start),
    ),
  });

  app.post(
    '/clusters/:cluster/pods/:namespace/:pod/portforward/http',
    {
      schema: {
        tags: ['port-forward'],
        summary: "Open an HTTP port of a pod in a browser tab (the answer's url)",
        description:
          'Checks as for a forwarded connection, then audits portforward.open once and answers 201 {url, port, idleTimeoutMs, expiresAt}. The url (/pf/<token>/) is a capability for this user, pod and port; its content is served sandboxed (an opaque origin). The forward closes after idleTimeoutMs without a request, and at expiresAt.',
        params: PodParams,
        body: HttpForwardBody,
      },
    },
    async (req, reply) => {
      const { cluster, namespace, pod } = req.params;
      const { port } = req.body;
      const principal = await checkForward(req, { cluster, namespace, pod, port }, 'tab');
      const f = deps.httpForwards.open({ user: principal.username, cluster, namespace, pod, port });
      await deps.audit.record({
        actor: principal.username,
        action: 'portforward.open',
        clusterId: cluster,
        target: { kind: 'Pod', namespace, name: pod },
        params: { port },
        outcome: 'allowed',
        detail: { forwardId: f.id, port, via: 'browser' },
      });
      return reply.code(201).send({
        url: `${HTTP_FORWARD_PREFIX}/${f.token}/`,
        port,
        idleTimeoutMs: deps.httpForwards.idleMs,
        expiresAt: f.openedAt + deps.httpForwards.maxAgeMs,
      });
    },
  );
  done();
};
