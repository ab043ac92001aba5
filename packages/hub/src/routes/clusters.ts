// Clusters, their inventory, timeline and actions: the public API over what agents report.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ACTIONS,
  ActionRequest,
  KubeName,
  KubeNamespace,
  RESOURCE_KINDS,
  RESOURCE_KIND_NAMES,
  TIMELINE_EVENT_TYPES,
  actionList,
  PodSecurityLevel,
  SECRET_REFERENCE_PERMISSION,
  isActionId,
  isResourceKind,
} from '@wheelhouse/protocol';
import { canSomewhere } from '../auth/rbac.js';
import type { Principal, Scope } from '../auth/types.js';
import type { ClusterStore, ClusterView } from '../clusters/cluster-store.js';
import { validateActionRequest, type CommandService } from '../commands/command-service.js';
import { HttpError, badRequest, notFound, requirePrincipal } from '../http/errors.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { AgentLink } from '../link/agent-link.js';
import type { ObjectReader } from '../objects/object-reader.js';
import type { TimelineStore } from '../timeline/timeline-store.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface ClusterRoutesDeps {
  clusters: ClusterStore;
  inventory: InventoryStore;
  timeline: TimelineStore;
  commands: CommandService;
  link: AgentLink;
  audit: AuditLog;
  /** Reads live objects through the agent (GET …/objects). */
  objects: ObjectReader;
  /** How long POST …/actions with dryRun waits for the agent's preview before answering 202. */
  previewTimeoutMs?: number;
}

const clusterName = z
  .string()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lowercase letters, digits and "-", starting and ending with a letter or digit',
  );
const ClusterParams = z.object({ cluster: clusterName });
const limit = z.coerce.number().int().min(1).max(1000).default(100);
const epochMs = z.coerce.number().int().min(0);

export function registerClusterRoutes(appIn: FastifyInstance, deps: ClusterRoutesDeps): void {
  const app = appIn.withTypeProvider<ZodTypeProvider>();

  async function requireCluster(name: string): Promise<ClusterView> {
    const c = await deps.clusters.get(name);
    if (!c) throw notFound(`cluster "${name}"`);
    return c;
  }

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

  app.get('/api/v1/clusters', { schema: { tags: ['clusters'] } }, async (req) => {
    const principal = requirePrincipal(req);
    const all = await deps.clusters.list();
    return { items: all.filter((c) => clusterVisible(principal, c.name)) };
  });

  app.post(
    '/api/v1/clusters',
    { schema: { tags: ['clusters'], body: z.object({ name: clusterName }).strict() } },
    async (req, reply) => {
      const principal = await app.requirePermission(req, 'admin', {});
      const created = await deps.clusters.create(req.body.name, principal.username);
      if (!created) throw new HttpError(409, 'conflict', `cluster "${req.body.name}" already exists`);
      await deps.audit.append({
        actor: principal.username,
        action: 'cluster.create',
        clusterId: req.body.name,
        outcome: 'succeeded',
      });
      return reply.status(201).send({
        cluster: created.cluster,
        token: created.token,
        hint: 'Shown once. Start the agent with: wheelhouse agent --hub <hub URL> --token <token>',
      });
    },
  );

  app.get('/api/v1/clusters/:cluster', { schema: { tags: ['clusters'], params: ClusterParams } }, async (req) => {
    const principal = requirePrincipal(req);
    const c = await requireCluster(req.params.cluster);
    // Anyone who may view some namespace of the cluster sees its state and what they may do there.
    if (!clusterVisible(principal, c.name)) await app.requirePermission(req, 'view', { cluster: c.name });
    return { ...c, actions: actionsFor(c, principal) };
  });

  // The Pod Security Standards level every pod template an action creates or changes must meet (docs/actions.md).
  app.put(
    '/api/v1/clusters/:cluster/pod-security',
    {
      schema: {
        tags: ['clusters'],
        params: ClusterParams,
        body: z.object({ level: PodSecurityLevel }).strict(),
      },
    },
    async (req) => {
      const principal = await app.requirePermission(req, 'admin', {});
      const before = await deps.clusters.setPodSecurity(req.params.cluster, req.body.level);
      if (before === null) throw notFound(`cluster "${req.params.cluster}"`);
      await deps.audit.append({
        actor: principal.username,
        action: 'cluster.pod-security',
        clusterId: req.params.cluster,
        outcome: 'succeeded',
        detail: { from: before, to: req.body.level },
      });
      return { cluster: req.params.cluster, podSecurity: req.body.level, previous: before };
    },
  );

  app.delete(
    '/api/v1/clusters/:cluster',
    { schema: { tags: ['clusters'], params: ClusterParams } },
    async (req, reply) => {
      const principal = await app.requirePermission(req, 'admin', {});
      await requireCluster(req.params.cluster);
      deps.link.disconnect(req.params.cluster, 4401, 'cluster deleted');
      await deps.clusters.delete(req.params.cluster);
      await deps.audit.append({
        actor: principal.username,
        action: 'cluster.delete',
        clusterId: req.params.cluster,
        outcome: 'succeeded',
      });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/clusters/:cluster/token/revoke',
    { schema: { tags: ['clusters'], params: ClusterParams } },
    async (req) => {
      const principal = await app.requirePermission(req, 'admin', {});
      await requireCluster(req.params.cluster);
      await deps.clusters.revokeToken(req.params.cluster);
      deps.link.disconnect(req.params.cluster);
      await deps.audit.append({
        actor: principal.username,
        action: 'cluster.token.revoke',
        clusterId: req.params.cluster,
        outcome: 'succeeded',
      });
      return { revoked: true };
    },
  );

  app.post(
    '/api/v1/clusters/:cluster/token/rotate',
    { schema: { tags: ['clusters'], params: ClusterParams } },
    async (req) => {
      const principal = await app.requirePermission(req, 'admin', {});
      await requireCluster(req.params.cluster);
      const token = await deps.clusters.rotateToken(req.params.cluster);
      deps.link.disconnect(req.params.cluster, 4401, 'agent token rotated');
      await deps.audit.append({
        actor: principal.username,
        action: 'cluster.token.rotate',
        clusterId: req.params.cluster,
        outcome: 'succeeded',
      });
      return { token };
    },
  );

  app.get(
    '/api/v1/clusters/:cluster/resources',
    {
      schema: {
        tags: ['inventory'],
        params: ClusterParams,
        querystring: z
          .object({
            kind: z.string().max(63).optional(),
            namespace: z.string().max(63).optional(),
            name: z.string().max(253).optional(),
            cursor: z.string().max(2048).optional(),
            limit,
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const c = await requireCluster(req.params.cluster);
      const { namespace } = req.query;
      if (namespace) await app.requirePermission(req, 'view', { cluster: c.name, namespace });
      else if (!clusterVisible(principal, c.name)) await app.requirePermission(req, 'view', { cluster: c.name });
      return deps.inventory.query(c.name, req.query, (ns) => app.can(principal, 'view', scopeOf(c.name, ns)));
    },
  );

  app.get(
    '/api/v1/clusters/:cluster/objects',
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
      const c = await requireCluster(req.params.cluster);
      await app.requirePermission(req, 'view', scopeOf(c.name, namespace));
      return deps.objects.get({ cluster: c.name, kind, namespace, name, user: principal.username });
    },
  );

  app.get(
    '/api/v1/clusters/:cluster/timeline',
    {
      schema: {
        tags: ['timeline'],
        params: ClusterParams,
        querystring: z
          .object({
            namespace: z.string().max(63).optional(),
            kind: z.string().max(63).optional(),
            name: z.string().max(253).optional(),
            type: z
              .string()
              .optional()
              .transform((s) => (s ? s.split(',').filter(Boolean) : []))
              .pipe(z.array(z.enum(TIMELINE_EVENT_TYPES))),
            from: epochMs.optional(),
            to: epochMs.optional(),
            cursor: z.coerce.number().int().min(0).optional(),
            limit,
          })
          .strict(),
      },
    },
    async (req) => {
      requirePrincipal(req);
      const c = await requireCluster(req.params.cluster);
      const { namespace } = req.query;
      await app.requirePermission(req, 'view', scopeOf(c.name, namespace));
      return deps.timeline.query(c.name, { ...req.query, types: req.query.type });
    },
  );

  app.post(
    '/api/v1/clusters/:cluster/actions',
    { schema: { tags: ['actions'], params: ClusterParams, body: ActionRequest } },
    async (req, reply) => {
      requirePrincipal(req);
      const c = await requireCluster(req.params.cluster);
      const body = req.body;
      if (!isActionId(body.action)) validateActionRequest(c, body); // throws the precise 400
      const scope = scopeOf(c.name, body.target.namespace);
      const principal = await app.requirePermission(req, `action:${body.action}`, scope);
      const secretReferences = app.can(principal, SECRET_REFERENCE_PERMISSION, scope);
      const { params, policy } = validateActionRequest(c, body, { secretReferences });
      const command = await deps.commands.create(principal.username, c, body, params, policy);
      await deps.link.dispatchOutstanding(c.name);
      if (body.dryRun && deps.link.isConnected(c.name)) {
        // A preview is only useful now: wait for the agent's answer (bounded), else hand back the id.
        const done = await deps.commands.waitForTerminal(command.id, deps.previewTimeoutMs ?? 30_000);
        if (done) {
          return reply
            .status(200)
            .send({ id: done.id, status: done.state, message: done.message, preview: done.result?.preview ?? null });
        }
      }
      return reply.status(202).send({ id: command.id, status: command.state });
    },
  );

  app.get('/api/v1/actions/:id', { schema: { tags: ['actions'], params: z.object({ id: z.uuid() }) } }, async (req) => {
    requirePrincipal(req);
    const cmd = await deps.commands.get(req.params.id);
    if (!cmd) throw notFound(`action ${req.params.id}`);
    const ns = cmd.target.namespace;
    await app.requirePermission(req, 'view', scopeOf(cmd.cluster, ns));
    return cmd;
  });

  app.get(
    '/api/v1/actions',
    {
      schema: {
        tags: ['actions'],
        querystring: z
          .object({
            cluster: clusterName.optional(),
            status: z
              .enum(['pending', 'dispatched', 'running', 'succeeded', 'failed', 'rejected', 'expired'])
              .optional(),
            cursor: z.coerce.number().int().min(0).optional(),
            limit,
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      if (req.query.cluster) await app.requirePermission(req, 'view', { cluster: req.query.cluster });
      const items = await deps.commands.list({ ...req.query, state: req.query.status });
      return {
        items: items.filter((c) => app.can(principal, 'view', scopeOf(c.cluster, c.target.namespace))),
      };
    },
  );

  app.get('/api/v1/catalog/actions', { schema: { tags: ['actions'] } }, (req) => {
    requirePrincipal(req);
    return {
      items: Object.values(ACTIONS).map((a) => ({
        id: a.id,
        title: a.title,
        description: a.description,
        tier: a.tier,
        targetKinds: a.targetKinds,
        params: z.toJSONSchema(a.params),
      })),
    };
  });
}

/** The scope of an object: cluster-wide for cluster-scoped kinds (namespace ''). */
function scopeOf(cluster: string, namespace: string | undefined): Scope {
  return namespace ? { cluster, namespace } : { cluster };
}

/**
 * Whether the principal may see the cluster at all: some binding lets them view
 * it, cluster-wide or in some namespace (a namespace-scoped viewer still lists
 * the cluster and the objects of their namespaces).
 */
function clusterVisible(principal: Principal, cluster: string): boolean {
  return canSomewhere(principal.bindings, 'view', { cluster });
}
