// The in-cluster agent: watches the cluster, keeps the hub's inventory and
// timeline current over its one outbound link, and runs the commands the hub
// sends — within the tiers this cluster enabled.
import type { KubeClientConfig } from './kube-config.js';
import pino, { type Logger } from 'pino';
import { RESOURCE_KIND_NAMES, WHEELHOUSE_VERSION, type Capabilities, type ResourceKind } from '@wheelhouse/protocol';
import type { ExecGuardHandle, ExecGuardOptions } from '@wheelhouse/exec-guard';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';
import { executors } from './actions/executors.js';
import { CommandRunner } from './commands/command-runner.js';
import { forwardExecGuardEvents } from './exec-guard-bridge.js';
import {
  impersonatingKubeConfig,
  kubeIdentityFor,
  onBehalfOfIdentity,
  type ImpersonationMapping,
} from './impersonation.js';
import { missingOnBehalfOfPermissions } from './on-behalf-of.js';
import { checkActionPermissions } from './permissions.js';
import { InsightEngine } from './insights/insight-engine.js';
import type { InventoryCache } from './inventory-cache.js';
import { MetricsReader } from './usage/metrics-reader.js';
import { describeCluster, loadKubeConfig } from './kube.js';
import { fullKubeConfig } from './kube-config.js';
import { HubLink } from './link/hub-link.js';
import { Outbox } from './outbox.js';
import { streamedInventory } from './snapshot-streams.js';
import { AgentLogStreams } from './reads/log-streams.js';
import { AgentPortForwards } from './reads/port-forwards.js';
import { getObject } from './reads/object-get.js';
import { AgentShellManager, type ShellIdentity } from './shell/shell-manager.js';
import { NodeShellPods, type NodeShellSettings } from './shell/node-shell-pods.js';
import { eventFromKubernetesEvent } from './timeline/events.js';
import { KindWatcher, listModeFor } from './watch/kind-watcher.js';

export interface AgentOptions {
  hubUrl: string;
  token: string;
  kubeconfig?: string;
  context?: string;
  /** Or a ready config: client-node's KubeConfig or the agent's own (tests, in-process embedding). */
  kubeConfig?: KubeClientConfig;
  capabilities: Capabilities;
  log?: Logger;
  kinds?: ResourceKind[];
  flushMs?: number;
  heartbeatMs?: number;
  /** Called when the hub refuses the token: the agent has stopped. */
  onRevoked?: (reason: string) => void;
  /** Run exec guard in this process and put what it sees on the hub's timeline. */
  execGuard?: Omit<ExecGuardOptions, 'kubeConfig'>;
  /** Pod shell attribution hook (impersonation): how to exec on behalf of a Wheelhouse user. */
  shellIdentity?: (user: string) => ShellIdentity;
  /**
   * Act as the requesting Wheelhouse user's mapped Kubernetes identity
   * (Impersonate-User/-Group), so Kubernetes RBAC applies per person and the
   * API server's audit log names them. Off by default.
   */
  impersonation?: ImpersonationMapping;
  /** Quiet time after a change before the health checks run (default 500 ms). */
  insightsDebounceMs?: number;
  /** How often resource usage is read from metrics.k8s.io (default 60 s). */
  usageIntervalMs?: number;
  /** PEM CA bundle that signs the hub's TLS certificate, when it is not a public CA. */
  hubCa?: string | Buffer;
  /** Node shells' pods (namespace, image, command, lifetime); used when capabilities.nodeShell is on. */
  nodeShell?: NodeShellSettings;
}

export interface Agent {
  readonly cache: InventoryCache;
  readonly link: HubLink;
  /** Resolves once every kind has been listed once. */
  readonly synced: Promise<void>;
  /** Commands carried out (not re-deliveries answered from memory): for tests and metrics. */
  readonly executed: Map<string, number>;
  /** The embedded exec guard, when enabled. */
  readonly execGuard: ExecGuardHandle | null;
  /** Pod shell sessions relayed through this agent. */
  readonly shell: AgentShellManager;
  /** Node shells' pods (null: node shells are off). */
  readonly nodeShells: NodeShellPods | null;
  /** Pod log streams relayed through this agent. */
  readonly logs: AgentLogStreams;
  readonly portForwards: AgentPortForwards;
  /** The health checks (insights) over the watched objects. */
  readonly insights: InsightEngine;
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? pino({ name: 'wheelhouse-agent' });
  const kc: KubeClientConfig = opts.kubeConfig ?? loadKubeConfig(opts.kubeconfig, opts.context);
  const identity = await describeCluster(kc);
  log.info({ server: identity.server, version: identity.gitVersion, as: identity.username }, 'connected to Kubernetes');

  // Say now, not at the first command, what this agent's RBAC lacks for the tiers it was given.
  const missingPermissions = await checkActionPermissions(kc, opts.capabilities);
  if (Object.keys(missingPermissions).length > 0) {
    log.warn({ missingPermissions }, 'the agent lacks Kubernetes permissions for some enabled actions');
  }

  const link = new HubLink({
    hubUrl: opts.hubUrl,
    token: opts.token,
    log,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    ...(opts.hubCa ? { ca: opts.hubCa } : {}),
  });
  // Counted before any other 'connected' listener runs: a snapshot streamed across a reconnect is sent again whole.
  let linkGeneration = 0;
  link.on('connected', () => linkGeneration++);
  const outbox = new Outbox(
    {
      connected: () => link.connected,
      generation: () => linkGeneration,
      bufferedAmount: () => link.bufferedAmount,
      send: (m) => link.send(m),
      sendText: (t) => link.sendText(t),
    },
    { flushMs: opts.flushMs ?? 200, maxBatch: 500, maxTimelineBuffer: 10_000, highWaterBytes: 8 * 1024 * 1024 },
  );
  const kinds = opts.kinds ?? RESOURCE_KIND_NAMES;
  // Snapshots streamed while their kind is listed, also a list that began before the link was up.
  const { cache, onConnected: streamSnapshots } = streamedInventory(outbox, () => link.connected);

  // Health checks over the same watches; what opens and resolves goes to the hub as it happens.
  const insights = new InsightEngine({
    kinds,
    owner: (kind, ns, name) => {
      const item = cache.get(kind, ns, name);
      return item ? cache.owner(item) : undefined;
    },
    sink: {
      snapshot: (items) => {
        if (link.connected) link.send({ type: 'insights.snapshot', items });
      },
      changes: (opened, resolved) => {
        if (link.connected) link.send({ type: 'insights.changes', opened, resolved });
      },
    },
    ...(opts.insightsDebounceMs !== undefined ? { debounceMs: opts.insightsDebounceMs } : {}),
  });

  // Resource usage from metrics.k8s.io, with the watched pod specs' requests and limits.
  const usage = new MetricsReader({
    kc,
    view: insights.view,
    log: log.child({ component: 'usage' }),
    send: (m) => {
      if (link.connected) link.send(m);
    },
    ...(opts.usageIntervalMs !== undefined ? { intervalMs: opts.usageIntervalMs } : {}),
  });

  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((r) => (markSynced = r));
  const listed = new Set<ResourceKind>();
  // Streaming lists where the API server has them (Kubernetes 1.32+), paged LISTs elsewhere.
  const listMode = listModeFor(identity.gitVersion);
  const watchers: KindWatcher[] = kinds.map(
    (kind) =>
      new KindWatcher(
        kc,
        kind,
        {
          onListStart: () => {
            cache.beginList(kind);
            insights.beginList(kind);
          },
          onListPage: (objects) => {
            cache.addListPage(kind, objects);
            insights.addListPage(kind, objects);
          },
          onListEnd: () => {
            cache.endList(kind);
            insights.endList(kind);
            listed.add(kind);
            if (listed.size === kinds.length) markSynced();
          },
          onChange: (type, o) => {
            cache.onChange(kind, type, o);
            insights.onChange(kind, type, o);
          },
        },
        log,
        undefined,
        undefined,
        listMode,
      ),
  );
  // Kubernetes Events feed the timeline only.
  watchers.push(
    new KindWatcher(
      kc,
      'Event',
      {
        onListStart: () => undefined,
        onListPage: () => undefined,
        onListEnd: () => undefined,
        onChange: (type, e) => {
          if (type === 'DELETED') return;
          insights.onEvent(e);
          const ev = eventFromKubernetesEvent(e, cache.owner, cache.ownerRefsOf);
          if (ev) outbox.timeline([ev]);
        },
      },
      log,
      undefined,
      undefined,
      listMode,
    ),
  );

  // ---- commands
  const commands = new CommandRunner({
    kc,
    capabilities: opts.capabilities,
    executors,
    ...(opts.impersonation ? { impersonation: opts.impersonation } : {}),
    report: (u) => outbox.commandUpdate(u),
    timeline: (events) => outbox.timeline(events),
    log,
  });

  // Impersonation off: shells still name the person to exec guard when the agent's RBAC allows it.
  let onBehalfOf = false;
  if (opts.capabilities.podExec && !opts.impersonation && !opts.shellIdentity && identity.username) {
    const missing = await missingOnBehalfOfPermissions(kc, identity).catch((err: unknown) => [errorText(err)]);
    onBehalfOf = missing.length === 0;
    if (!onBehalfOf)
      log.warn(
        { missing },
        'shells run as the agent without naming the person to exec guard: the agent may not impersonate itself with the wheelhouse.dev/on-behalf-of extra',
      );
  }

  // Node shells: their own opt-in; the reaper starts at once, so a killed agent's pods go when it comes back.
  let shellRef: AgentShellManager | null = null;
  const nodeShells = opts.capabilities.nodeShell
    ? new NodeShellPods({
        kc,
        log: log.child({ component: 'node-shell' }),
        ...opts.nodeShell,
        liveSessions: () => shellRef?.liveSessionIds() ?? new Set(),
      })
    : null;
  const shell = new AgentShellManager({
    kc,
    ...(nodeShells ? { nodeShells } : {}),
    log: log.child({ component: 'shell' }),
    enabled: opts.capabilities.podExec,
    send: (m) => link.send(m),
    sendFrame: (f) => link.sendFrame(f),
    ...(opts.shellIdentity
      ? { identityFor: opts.shellIdentity }
      : opts.impersonation
        ? {
            // Shells run as the Wheelhouse user's mapped Kubernetes identity too.
            identityFor: (user: string, groups?: readonly string[]) => {
              const id = kubeIdentityFor(user, opts.impersonation, groups);
              return { kc: impersonatingKubeConfig(kc, id), kubeUser: id.user };
            },
          }
        : onBehalfOf
          ? {
              // As the agent itself (its RBAC, its username), saying for whom: exec guard names the person.
              identityFor: (user: string) => ({ kc: impersonatingKubeConfig(kc, onBehalfOfIdentity(identity, user)) }),
            }
          : {}),
  });
  shellRef = shell;
  nodeShells?.start();
  link.on('frame', (f) => shell.onFrame(f));
  link.on('disconnected', () => shell.closeAll());

  // ---- reads for the hub's object view and log viewer: as the user when impersonating, else as the agent.
  const readAs = (user: string, groups?: readonly string[]): KubeClientConfig =>
    opts.impersonation ? impersonatingKubeConfig(kc, kubeIdentityFor(user, opts.impersonation, groups)) : kc;
  const logs = new AgentLogStreams({
    kc,
    log: log.child({ component: 'logs' }),
    send: (m) => link.send(m),
    linkBuffered: () => link.bufferedAmount,
    kcFor: readAs,
  });
  link.on('disconnected', () => logs.closeAll());
  // Port-forward is a podExec-tier tool (create pods/portforward), forwarded as the user when impersonating.
  const portForwards = new AgentPortForwards({
    kc,
    log: log.child({ component: 'port-forward' }),
    enabled: opts.capabilities.podExec,
    send: (m) => link.send(m),
    kcFor: readAs,
  });
  link.on('disconnected', () => portForwards.closeAll());

  link.on('connected', () => {
    link.send({
      type: 'hello',
      protocol: 1,
      agentVersion: WHEELHOUSE_VERSION,
      kubernetesVersion: identity.gitVersion,
      capabilities: nodeShells
        ? { ...opts.capabilities, nodeShell: true, nodeShellNamespace: nodeShells.namespace }
        : { ...opts.capabilities, nodeShell: false },
      missingPermissions,
    });
    streamSnapshots();
    outbox.flush();
    if (insights.evaluated) link.send({ type: 'insights.snapshot', items: insights.current() });
  });
  link.on('message', (m) => {
    if (m.type === 'command') void commands.run(m.command);
    else if (
      m.type === 'shell.open' ||
      m.type === 'shell.resize' ||
      m.type === 'shell.close' ||
      m.type === 'shell.credit' ||
      m.type === 'shell.ping'
    )
      shell.onControl(m);
    else if (m.type === 'logs.open' || m.type === 'logs.close') logs.onControl(m);
    else if (
      m.type === 'portfwd.open' ||
      m.type === 'portfwd.close' ||
      m.type === 'portfwd.data' ||
      m.type === 'portfwd.credit'
    )
      portForwards.onControl(m);
    else if (m.type === 'object.get') {
      let as: KubeClientConfig;
      try {
        as = readAs(m.user, m.groups);
      } catch (err) {
        link.send({
          type: 'object.result',
          requestId: m.requestId,
          error: { status: 403, reason: 'Forbidden', message: errorText(err) },
        });
        return;
      }
      void getObject(as, m).then((r) => link.send(r));
    } else if (m.type === 'ping') link.send({ type: 'pong', t: m.t });
  });
  link.on('revoked', (reason) => {
    log.error(
      { reason },
      'the hub refused this agent token; stopping the link (issue a new token and restart the agent)',
    );
    opts.onRevoked?.(reason);
  });

  let execGuard: ExecGuardHandle | null = null;
  let unforward = (): void => undefined;
  if (opts.execGuard) {
    const { startExecGuard } = await import('@wheelhouse/exec-guard');
    execGuard = await startExecGuard({
      logger: log.child({ component: 'exec-guard' }),
      ...opts.execGuard,
      // Exec guard uses the typed clients: it loads the client library.
      kubeConfig: await fullKubeConfig(kc),
    });
    unforward = forwardExecGuardEvents(
      execGuard,
      (e) => outbox.timeline(e),
      (ns, pod) => {
        const item = cache.get('Pod', ns, pod);
        return item ? cache.owner(item) : undefined;
      },
    );
    log.info({ url: execGuard.url }, 'exec guard running in the agent');
  }

  for (const w of watchers) w.start();
  insights.start();
  usage.start();
  outbox.start();
  link.start();

  return {
    cache,
    link,
    synced,
    executed: commands.executed,
    execGuard,
    shell,
    nodeShells,
    logs,
    portForwards,
    insights,
    stop: async () => {
      shell.closeAll();
      // No session is left: one last pass removes their node-shell pods before the process goes.
      nodeShells?.stop();
      await nodeShells?.reap();
      logs.closeAll();
      portForwards.closeAll();
      unforward();
      await execGuard?.stop();
      for (const w of watchers) w.stop();
      insights.stop();
      usage.stop();
      outbox.flush();
      outbox.stop();
      link.stop();
    },
  };
}
