// Actions (commands): request one, follow it, list them, and the catalog
// (under /api/v1).
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ACTIONS,
  ActionRequest,
  DEFAULT_DEBUG_IMAGES,
  SECRET_REFERENCE_PERMISSION,
  TEMPLATE_ACTIONS,
  isActionId,
  type ActionDeclaration,
} from '@wheelhouse/protocol';
import { namespacePatterns } from '../auth/rbac.js';
import {
  ClusterParams,
  clusterName,
  clusterVisible,
  limit,
  requireVisibleCluster,
  scopeOf,
} from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { notFound, requirePrincipal, unwrap } from '../http/errors.js';
import type { AgentLink } from '../link/agent-link.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { ObjectReader } from '../objects/object-reader.js';
import { checkActionRequest } from './action-request-check.js';
import { checkDebugImage, withDebugImages } from './debug-images.js';
import { PREVIEW_FILTERS, type CommandService } from './command-service.js';
import { checkTemplateAtHub } from './template-check.js';

export interface CommandsRoutesOptions {
  clusters: ClusterStore;
  commands: CommandService;
  link: AgentLink;
  /** Live reads of the templates restart, rollback and trigger-job re-create (Pod Security Standards). */
  objects: ObjectReader;
  inventory: InventoryStore;
  /** How long POST …/actions with dryRun waits for the agent's preview before answering 202. */
  previewTimeoutMs?: number;
  /** Images debug-container may use (default DEFAULT_DEBUG_IMAGES). */
  debugImages?: readonly string[];
}

export const commandsRoutes: FastifyPluginCallback<CommandsRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  const debugImages = deps.debugImages ?? DEFAULT_DEBUG_IMAGES;

  app.post(
    '/clusters/:cluster/actions',
    { schema: { tags: ['actions'], params: ClusterParams, body: ActionRequest } },
    async (req, reply) => {
      requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const body = req.body;
      // An unknown action is a 400 before the permission check (there is no permission to name).
      if (!isActionId(body.action)) unwrap(checkActionRequest(c, body));
      const scope = scopeOf(c.name, body.target.namespace);
      const principal = await app.requirePermission(req, `action:${body.action}`, scope);
      // What the action also asks of the requester (debug-container: pod:exec, it is a way into the pod).
      const decl: ActionDeclaration | undefined = isActionId(body.action) ? ACTIONS[body.action] : undefined;
      for (const p of decl?.userPermissions ?? []) await app.requirePermission(req, p, scope);
      const secretReferences = app.can(principal, SECRET_REFERENCE_PERMISSION, scope);
      const { params, policy } = unwrap(checkActionRequest(c, body, { secretReferences }));
      if (body.action === 'debug-container') unwrap(checkDebugImage(debugImages, params));
      if ((TEMPLATE_ACTIONS as readonly string[]).includes(body.action))
        unwrap(await checkTemplateAtHub(deps, c.name, body, params, policy, principal.username));
      const command = await deps.commands.create(principal.username, c, body, params, policy);
      await deps.link.wake(c.name);
      if (body.dryRun && (await deps.link.isLinked(c.name))) {
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

  app.get('/actions/:id', { schema: { tags: ['actions'], params: z.object({ id: z.uuid() }) } }, async (req) => {
    requirePrincipal(req);
    const cmd = await deps.commands.get(req.params.id);
    if (!cmd) throw notFound(`action ${req.params.id}`);
    const ns = cmd.target.namespace;
    await app.requirePermission(req, 'view', scopeOf(cmd.cluster, ns), { hiddenAs: `action ${req.params.id}` });
    return cmd;
  });

  app.get(
    '/actions',
    {
      schema: {
        tags: ['actions'],
        querystring: z
          .object({
            cluster: clusterName.optional(),
            status: z
              .enum(['pending', 'dispatched', 'running', 'succeeded', 'failed', 'rejected', 'expired'])
              .optional(),
            previews: z
              .enum(PREVIEW_FILTERS)
              .default('exclude')
              .describe('dry runs (previews): left out by default, `include`d, or `only`'),
            cursor: z
              .string()
              .regex(/^\d{1,16}:[0-9a-f-]{36}$/, 'must be a nextCursor value')
              .optional(),
            limit,
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal(req);
      const { cluster, cursor, status, limit, previews } = req.query;
      // A namespace-scoped viewer lists the cluster's actions in their namespaces.
      if (cluster && !clusterVisible(principal, cluster)) await app.requirePermission(req, 'view', { cluster });
      const [at, id] = cursor ? cursor.split(':') : [];
      return deps.commands.list(
        {
          limit,
          previews,
          ...(cluster ? { cluster } : {}),
          ...(status ? { state: status } : {}),
          ...(at !== undefined && id !== undefined ? { cursor: { createdAt: Number(at), id } } : {}),
        },
        (c) => namespacePatterns(principal.bindings, 'view', c),
      );
    },
  );

  app.get('/catalog/actions', { schema: { tags: ['actions'] } }, (req) => {
    requirePrincipal(req);
    return {
      items: Object.values(ACTIONS).map((a) => ({
        id: a.id,
        title: a.title,
        description: a.description,
        tier: a.tier,
        targetKinds: a.targetKinds,
        danger: 'danger' in a, // declared only as `danger: true`
        params:
          a.id === 'debug-container'
            ? withDebugImages(z.toJSONSchema(a.params) as Record<string, unknown>, debugImages)
            : z.toJSONSchema(a.params),
      })),
    };
  });
  done();
};
