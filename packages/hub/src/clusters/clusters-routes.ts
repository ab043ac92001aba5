// Clusters: register, remove, the agent token, and each cluster's state with
// what the caller may do there (under /api/v1).
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PodSecurityLevel, actionList } from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/types.js';
import { apiError, conflict, requirePrincipal } from '../http/errors.js';
import type { AgentLink } from '../link/agent-link.js';
import { ClusterParams, clusterName, clusterVisible, requireCluster, requireVisibleCluster } from './cluster-access.js';
import type { ClusterStore, ClusterView } from './cluster-store.js';

export interface ClustersRoutesOptions {
  clusters: ClusterStore;
  link: AgentLink;
  audit: AuditLog;
}

export const clustersRoutes: FastifyPluginCallback<ClustersRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();

  function actionsFor(c: ClusterView, principal: Principal) {
    const missing = deps.link.missingPermissions(c.name);
    return actionList().map((a) => ({
      id: a.id,
      title: a.title,
      tier: a.tier,
      targetKinds: a.targetKinds,
      enabled: c.capabilities[a.tier],
      allowed: app.can(principal, `action:${a.id}`, { cluster: c.name }),
      missingPermissions: missing[a.id] ?? [],
    }));
  }

  app.get('/clusters', { schema: { tags: ['clusters'] } }, async (req) => {
    const principal = requirePrincipal(req);
    const all = await deps.clusters.list();
    return { items: all.filter((c) => clusterVisible(principal, c.name)) };
  });

  app.post(
    '/clusters',
    { schema: { tags: ['clusters'], body: z.object({ name: clusterName }).strict() } },
    async (req, reply) => {
      const principal = await app.requirePermission(req, 'admin', {});
      // The cluster and its audit record commit together (a store failing in between leaves neither).
      const created = await deps.clusters.create(req.body.name, principal.username, (trx) =>
        deps.audit.record(
          { actor: principal.username, action: 'cluster.create', clusterId: req.body.name, outcome: 'succeeded' },
          trx,
        ),
      );
      if (!created) throw conflict(`cluster "${req.body.name}" already exists`);
      return reply.status(201).send({
        cluster: created.cluster,
        token: created.token,
        hint: 'Shown once. Start the agent with: wheelhouse agent --hub <hub URL> --token <token>',
      });
    },
  );

  app.get('/clusters/:cluster', { schema: { tags: ['clusters'], params: ClusterParams } }, async (req) => {
    const principal = requirePrincipal(req);
    // Anyone who may view some namespace of the cluster sees its state and what they may do there.
    const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
    return { ...c, actions: actionsFor(c, principal) };
  });

  // The Pod Security Standards level every pod template an action creates or changes must meet (docs/actions.md).
  app.put(
    '/clusters/:cluster/pod-security',
    {
      schema: { tags: ['clusters'], params: ClusterParams, body: z.object({ level: PodSecurityLevel }).strict() },
    },
    async (req) => {
      const principal = await app.requirePermission(req, 'admin', {});
      const before = await deps.clusters.setPodSecurity(req.params.cluster, req.body.level, (trx, from) =>
        deps.audit.record(
          {
            actor: principal.username,
            action: 'cluster.pod-security',
            clusterId: req.params.cluster,
            outcome: 'succeeded',
            detail: { from, to: req.body.level },
          },
          trx,
        ),
      );
      if (before === null) throw apiError('not_found', { what: `cluster "${req.params.cluster}"` });
      return { cluster: req.params.cluster, podSecurity: req.body.level, previous: before };
    },
  );

  app.delete('/clusters/:cluster', { schema: { tags: ['clusters'], params: ClusterParams } }, async (req, reply) => {
    const principal = await app.requirePermission(req, 'admin', {});
    await requireCluster(deps.clusters, req.params.cluster);
    deps.link.disconnect(req.params.cluster, 4401, 'cluster deleted');
    await deps.clusters.delete(req.params.cluster, (trx) =>
      deps.audit.record(
        { actor: principal.username, action: 'cluster.delete', clusterId: req.params.cluster, outcome: 'succeeded' },
        trx,
      ),
    );
    return reply.status(204).send();
  });

  app.post(
    '/clusters/:cluster/token/revoke',
    { schema: { tags: ['clusters'], params: ClusterParams } },
    async (req) => {
      const principal = await app.requirePermission(req, 'admin', {});
      await requireCluster(deps.clusters, req.params.cluster);
      await deps.clusters.revokeToken(req.params.cluster, (trx) =>
        deps.audit.record(
          {
            actor: principal.username,
            action: 'cluster.token.revoke',
            clusterId: req.params.cluster,
            outcome: 'succeeded',
          },
          trx,
        ),
      );
      deps.link.disconnect(req.params.cluster);
      return { revoked: true };
    },
  );

  app.post(
    '/clusters/:cluster/token/rotate',
    { schema: { tags: ['clusters'], params: ClusterParams } },
    async (req) => {
      const principal = await app.requirePermission(req, 'admin', {});
      await requireCluster(deps.clusters, req.params.cluster);
      const token = await deps.clusters.rotateToken(req.params.cluster, (trx) =>
        deps.audit.record(
          {
            actor: principal.username,
            action: 'cluster.token.rotate',
            clusterId: req.params.cluster,
            outcome: 'succeeded',
          },
          trx,
        ),
      );
      deps.link.disconnect(req.params.cluster, 4401, 'agent token rotated');
      return { token };
    },
  );
  done();
};
