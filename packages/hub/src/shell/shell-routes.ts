// Pod shell API (a plugin under /api/v1):
//   GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/shell      WebSocket (every check before the upgrade);
//                                                                    ?session= takes back a detached session
//   GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/containers containers with their state
//   GET /api/v1/sessions                                             shell sessions (audit:read, or one's own)
//   GET /api/v1/sessions/{id}/recording                              asciicast v2 (audit:read, or the session's user)
//   GET /api/v1/sessions/{id}/join?mode=observer|peer                WebSocket: join a live session (pod:exec there)
//   GET /api/v1/sessions/{id}/participants                           who is in a live session (pod:exec there)
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CLIENT_MAX_FRAME_BYTES,
  KubeName,
  KubeNamespace,
  SHELL_JOIN_MODES,
  ownerStep,
  resolveWorkload,
  type InventoryItemOf,
  type WorkloadRef,
} from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/types.js';
import { clusterName, clusterVisible, requireCluster, requireVisibleCluster } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { HttpError, apiError, notFound, requirePrincipal } from '../http/errors.js';
import { pickContainer, upgradeAfterChecks } from '../http/pod-stream.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { ShellRecords } from './shell-records.js';
import type { LiveSessionFacts, ShellLinkPort, ShellRelay, ShellStartRequest } from './shell-relay.js';
import type { ShellStore } from './shell-store.js';

export interface ShellRoutesOptions {
  audit: AuditLog;
  clusters: ClusterStore;
  inventory: InventoryStore;
  records: ShellRecords;
  relay: ShellRelay;
  store: ShellStore;
  link: ShellLinkPort & {
    /** The agent is reachable from this replica (its link here, or a tunnel to the replica holding it). */
    reach(cluster: string): Promise<boolean>;
  };
}

// Names are validated before anything is looked up or recorded under them.
const PodParams = z.object({ cluster: clusterName, namespace: KubeNamespace, pod: KubeName });
const ShellQuery = z
  .object({
    container: z.string().min(1).max(63).optional(),
    /** Repeat for arguments: ?command=ls&command=-la */
    command: z.union([z.string().min(1).max(4096), z.array(z.string().max(4096)).min(1).max(64)]).optional(),
    cols: z.coerce.number().int().min(1).max(1000).default(80),
    rows: z.coerce.number().int().min(1).max(1000).default(24),
    /** Take back this detached session of yours (after a reload) instead of starting one. */
    session: z.uuid().optional(),
  })
  .strict();

type Pod = InventoryItemOf<'Pod'>;

function containersOf(pod: Pod) {
  return pod.summary.containers.map((c) => ({
    name: c.name,
    image: c.image ?? null,
    ready: c.ready,
    state: c.state,
    reason: c.reason,
    restartCount: c.restartCount,
  }));
}

export const shellRoutes: FastifyPluginCallback<ShellRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  const prepared = new WeakMap<FastifyRequest, ShellStartRequest>();

  /** The workload a pod belongs to, for service timelines (the protocol's one rule). */
  async function ownerOf(cluster: string, pod: Pod): Promise<WorkloadRef | undefined> {
    const step = ownerStep(pod);
    const parent = step ? await deps.inventory.get(cluster, step.kind, pod.namespace, step.name) : null;
    return resolveWorkload(pod, parent ?? undefined);
  }

  const route = '/clusters/:cluster/pods/:namespace/:pod/shell';
  app.route({
    method: 'GET',
    url: route,
    schema: {
      tags: ['shell'],
      summary: 'Open a pod shell (WebSocket)',
      description:
        'Binary frames carry terminal bytes both ways; text frames carry JSON control. A plain GET answers 426 after the same checks.',
      params: PodParams,
      querystring: ShellQuery,
    },
    preHandler: async (req) => {
      const { cluster, namespace, pod } = req.params;
      const target = { kind: 'Pod', namespace, name: pod };
      const principal = requirePrincipal<Principal>(req);
      const reject = async (err: HttpError): Promise<never> => {
        await deps.records.rejected(principal.username, { cluster, namespace, pod }, err);
        throw err;
      };
      try {
        await app.requirePermission(
          req,
          'pod:exec',
          { cluster, namespace },
          { action: 'shell.start', target, params: { container: req.query.container ?? null } },
        );
      } catch (err) {
        // A 404 (cluster not visible) leaves only the audit record. A 403 goes on the pod's timeline too, but only for
        // a pod that exists in a cluster that exists (the caller can see it), and rate-limited per user: a URL must
        // not let anyone write events under invented names into someone's timeline.
        if (err instanceof HttpError && err.statusCode === 403) {
          const item = (await deps.clusters.get(cluster))
            ? await deps.inventory.get(cluster, 'Pod', namespace, pod)
            : null;
          if (item) {
            await deps.records
              .denied({ cluster, namespace, pod }, principal.username, err.message, await ownerOf(cluster, item))
              .catch(() => undefined);
          }
        }
        throw err;
      }
      const c = await requireCluster(deps.clusters, cluster);
      if (!c.capabilities.podExec) {
        await reject(
          apiError(
            'tier_disabled',
            { message: `pod shells (the podExec tier) are not enabled on cluster "${cluster}"` },
            { tier: 'podExec', cluster },
          ),
        );
      }
      if (!(await deps.link.reach(cluster))) {
        await reject(apiError('agent_unavailable', { cluster }));
      }
      const item = await deps.inventory.get(cluster, 'Pod', namespace, pod);
      if (!item) throw notFound(`pod ${namespace}/${pod} in cluster "${cluster}"`);
      const phase = item.summary.phase;
      if (phase !== 'Running') {
        await reject(apiError('pod_not_running', { namespace, pod, phase }, { phase }));
      }
      const containers = containersOf(item);
      const names = containers.map((x) => x.name);
      // A debug container (debug-container action, kubectl debug) is entered by name.
      const ephemeral = item.summary.ephemeralContainers ?? [];
      const picked = pickContainer({
        namespace,
        pod,
        requested: req.query.container,
        containers: names,
        ephemeralContainers: ephemeral.map((e) => e.name),
      });
      if ('problem' in picked) await reject(new HttpError(picked.problem));
      const container = 'container' in picked ? picked.container : '';
      const state = [...containers, ...ephemeral].find((x) => x.name === container)?.state;
      if (state !== undefined && state !== 'running') {
        await reject(apiError('container_not_running', { namespace, pod, container, state }, { state }));
      }
      const session = req.query.session;
      if (session !== undefined) {
        const who = { user: principal.username, cluster, namespace, pod, container };
        if (!deps.relay.canReattach(session, who))
          await reject(apiError('shell_session_gone', { session }, { session }));
        prepared.set(req, {
          ...who,
          command: null,
          clientAddress: req.ip,
          cols: req.query.cols,
          rows: req.query.rows,
          reattach: session,
        });
        return;
      }
      if (deps.relay.activeFor(principal.username) >= deps.relay.maxSessionsPerUser) {
        await reject(apiError('too_many_sessions', { user: principal.username, limit: deps.relay.maxSessionsPerUser }));
      }
      const cmd = req.query.command;
      const owner = await ownerOf(cluster, item);
      prepared.set(req, {
        user: principal.username,
        cluster,
        namespace,
        pod,
        container,
        command: cmd === undefined ? null : Array.isArray(cmd) ? cmd : [cmd],
        clientAddress: req.ip,
        cols: req.query.cols,
        rows: req.query.rows,
        ...(owner ? { owner } : {}),
      });
    },
    ...upgradeAfterChecks(prepared, CLIENT_MAX_FRAME_BYTES.shell, (socket, start) =>
      start.reattach ? deps.relay.reattach(socket, start) : deps.relay.start(socket, start),
    ),
  });

  app.get(
    '/clusters/:cluster/pods/:namespace/:pod/containers',
    { schema: { tags: ['shell'], summary: 'Containers of a pod with their state', params: PodParams } },
    async (req) => {
      requirePrincipal(req);
      const { cluster, namespace, pod } = req.params;
      await requireVisibleCluster(app, req, deps.clusters, cluster);
      await app.requirePermission(req, 'view', { cluster, namespace });
      const item = await deps.inventory.get(cluster, 'Pod', namespace, pod);
      if (!item) throw notFound(`pod ${namespace}/${pod} in cluster "${cluster}"`);
      return { cluster, namespace, pod, phase: item.summary.phase, containers: containersOf(item) };
    },
  );

  /**
   * The live session a join names, once the caller may exec into its pod (pod:exec on its cluster and namespace:
   * a peer types as the owner's exec, an observer sees what a shell there shows). Not live, or a cluster the
   * caller cannot see: the same 404.
   */
  async function joinable(
    req: FastifyRequest,
    id: string,
    mode: (typeof SHELL_JOIN_MODES)[number] | null,
  ): Promise<LiveSessionFacts> {
    const principal = requirePrincipal<Principal>(req);
    const live = deps.relay.live(id);
    const gone = notFound(`live shell session ${id}`);
    if (!live) {
      if (mode)
        await deps.audit.record({
          actor: principal.username,
          action: 'shell.join',
          target: { kind: 'ShellSession', namespace: '', name: id },
          outcome: 'rejected',
          reason: gone.message,
          detail: { error: gone.code, sessionId: id, mode },
        });
      throw gone;
    }
    const { cluster, namespace, pod } = live;
    if (!clusterVisible(principal, cluster)) {
      // Audited as a denial like any hidden cluster, but answered as a session that does not exist:
      // a 404 naming the cluster would tell the caller where the session runs.
      await app.requirePermission(req, 'view', { cluster }).catch(() => undefined);
      throw gone;
    }
    await requireVisibleCluster(app, req, deps.clusters, cluster);
    // A node shell is root on the node: whoever watches or types in it needs what opening one needs.
    await app.requirePermission(
      req,
      live.node !== undefined ? 'node:shell' : 'pod:exec',
      live.node !== undefined ? { cluster } : { cluster, namespace },
      mode
        ? { action: 'shell.join', target: { kind: 'Pod', namespace, name: pod }, params: { sessionId: id, mode } }
        : undefined,
    );
    return live;
  }

  const joins = new WeakMap<FastifyRequest, { sessionId: string; user: string; mode: 'observer' | 'peer' }>();
  app.route({
    method: 'GET',
    url: '/sessions/:id/join',
    schema: {
      tags: ['shell'],
      summary: 'Join a live pod shell as observer or peer (WebSocket)',
      description:
        'Binary frames: the session output (and, for a peer, input). Text frames from the hub: {type:"joined"}, {type:"participants"}, {type:"moderation"}, {type:"exit"|"error"|"closed"}. An observer\'s input is refused with an error frame. A plain GET answers 426 after the same checks.',
      params: z.object({ id: z.uuid() }),
      querystring: z.object({ mode: z.enum(SHELL_JOIN_MODES) }).strict(),
    },
    preHandler: async (req) => {
      const principal = requirePrincipal<Principal>(req);
      const { id } = req.params;
      const { mode } = req.query;
      const live = await joinable(req, id, mode);
      const target = { kind: 'Pod', namespace: live.namespace, name: live.pod };
      if (live.participants >= deps.relay.maxParticipants) {
        const err = apiError('too_many_shell_participants', { sessionId: id, limit: deps.relay.maxParticipants });
        await deps.audit.record({
          actor: principal.username,
          action: 'shell.join',
          clusterId: live.cluster,
          target,
          params: { sessionId: id, mode },
          outcome: 'rejected',
          reason: err.message,
          detail: { error: err.code, sessionId: id, mode },
        });
        throw err;
      }
      // The join is in the audit log before the joiner sees a byte.
      await deps.audit.record({
        actor: principal.username,
        action: 'shell.join',
        clusterId: live.cluster,
        target,
        params: { sessionId: id, mode },
        outcome: 'allowed',
        detail: { sessionId: id, mode, owner: live.user },
      });
      joins.set(req, { sessionId: id, user: principal.username, mode });
    },
    ...upgradeAfterChecks(joins, CLIENT_MAX_FRAME_BYTES.shell, (socket, j) => deps.relay.join(socket, j)),
  });

  app.get(
    '/sessions/:id/participants',
    {
      schema: {
        tags: ['shell'],
        summary: 'Who is in a live pod shell (owner, peers, observers)',
        params: z.object({ id: z.uuid() }),
      },
    },
    async (req) => {
      const live = await joinable(req, req.params.id, null);
      return {
        sessionId: live.id,
        cluster: live.cluster,
        namespace: live.namespace,
        pod: live.pod,
        container: live.container,
        participants: deps.relay.participants(live.id),
      };
    },
  );

  const epochMs = z.coerce.number().int().min(0);
  app.get(
    '/sessions',
    {
      schema: {
        tags: ['shell'],
        summary: 'Pod shell sessions, newest first (audit:read sees all; others their own)',
        querystring: z
          .object({
            cluster: z.string().max(40).optional(),
            user: z.string().max(128).optional(),
            from: epochMs.optional(),
            to: epochMs.optional(),
            cursor: z
              .string()
              .regex(/^\d+:[0-9a-f-]{36}$/, 'must be a nextCursor value')
              .optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          })
          .strict(),
      },
    },
    async (req) => {
      const principal = requirePrincipal<Principal>(req);
      const { user, cursor, ...rest } = req.query;
      let only = user;
      if (!app.can(principal, 'audit:read', {})) {
        // Everyone may list their own sessions; someone else's need audit:read.
        if (user !== undefined && user !== principal.username) await app.requirePermission(req, 'audit:read', {});
        only = principal.username;
      }
      const [at, id] = cursor ? cursor.split(/:(.*)/s) : [];
      const items = await deps.store.list({
        ...rest,
        ...(only !== undefined ? { user: only } : {}),
        ...(at !== undefined && id !== undefined ? { before: { startedAt: Number(at), id } } : {}),
      });
      const last = items.at(-1);
      return { items, nextCursor: items.length === rest.limit && last ? `${last.startedAt}:${last.id}` : null };
    },
  );

  app.get(
    '/sessions/:id/recording',
    { schema: { tags: ['shell'], summary: 'A session recording (asciicast v2)', params: z.object({ id: z.uuid() }) } },
    async (req, reply) => {
      const principal = requirePrincipal<Principal>(req);
      const session = await deps.store.get(req.params.id);
      if (!session || session.user !== principal.username) await app.requirePermission(req, 'audit:read', {});
      if (!session) throw notFound(`session ${req.params.id}`);
      if (!session.recording.available)
        throw notFound(`a recording of session ${req.params.id} (recording was off, or retention removed it)`);
      const text = await deps.store.recording(session.id);
      return reply
        .type('application/x-asciicast')
        .header('content-disposition', `attachment; filename="wheelhouse-shell-${session.id}.cast"`)
        .send(text);
    },
  );
  done();
};
