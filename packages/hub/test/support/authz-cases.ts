// The authorization matrix's tables, one per area of the API: who may call
// each route, and the fixtures the calls need. The *-matrix tests run them;
// routes-matrix.test.ts checks that together with PUBLIC_ROUTES they cover
// every route the hub registers.
import { randomUUID } from 'node:crypto';
import { AGENT_CONNECT_PATH } from '@wheelhouse/protocol';
import { createApiToken, createBinding } from '../../src/auth/identity-store.js';
import { PEER_PATH } from '../../src/peering/peer-tunnels.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHub, type Hub } from '../../src/server.js';
import {
  ADMIN_ONLY,
  DEFAULT_IDENTITIES,
  ONE_TIME_PASSWORD,
  checkAuthzCase,
  setupIdentities,
  type AuthzCase,
  type Identity,
  type IdentitySpec,
} from './authz-matrix.js';
import { addUser, useFastPasswordHashing } from './identity.js';
import { deploymentSummary, runningPodSummary } from './inventory-items.js';

export interface MatrixTable {
  identities: IdentitySpec[];
  /** Clusters, inventory and records the cases' requests refer to. */
  setup(hub: Hub): Promise<void>;
  cases: AuthzCase[];
}

/** Every identity that may use the API at all (a one-time password must be changed first). */
const names = (specs: readonly IdentitySpec[]): string[] =>
  specs.filter((i) => i.mustChangePassword !== true).map((i) => i.name);
const fresh = (): string => `victim-${randomUUID().slice(0, 8)}`;
const ALL_TIERS = { basic: true, advanced: true, podExec: true };

async function connectedCluster(hub: Hub, name: string): Promise<void> {
  const created = await hub.clusters.create(name, 'test');
  if (!created) throw new Error(`cluster ${name} exists`);
  await hub.clusters.markConnected(name, {
    agentVersion: 'test',
    kubernetesVersion: 'v1.35.4',
    capabilities: ALL_TIERS,
  });
}

function pod(namespace: string, name: string, uid: string) {
  return {
    kind: 'Pod' as const,
    namespace,
    name,
    uid,
    resourceVersion: '1',
    createdAt: Date.now(),
    labels: {},
    ownerRefs: [],
    summary: runningPodSummary(),
  };
}

/** A pending request of a fresh user for viewer on every cluster (the matrix's identities decide it). */
async function peerRequest(hub: Hub): Promise<string> {
  const u = await addUser(hub, { username: fresh() });
  const r = await hub.access.request(
    { userId: u.userId, username: u.username, via: 'token', bindings: [], mustChangePassword: false },
    { role: 'viewer', cluster: '*', namespace: '*', durationMs: 3_600_000, reason: 'matrix' },
  );
  return r.id;
}

/** A rule to delete or test (its webhook refuses connections). */
async function notificationRule(hub: Hub): Promise<string> {
  const r = await hub.notificationRules.create('test', {
    name: fresh(),
    cluster: '*',
    namespace: '*',
    minSeverity: 'warning',
    events: ['insight-opened'],
    format: 'json',
    url: 'http://127.0.0.1:9/hook',
  });
  if (!r.ok) throw new Error(r.problem.code);
  return r.value.id;
}

// ---- identity, users and audit -------------------------------------------

// Scoped grants never reach global-scope routes (users, bindings, audit).
const AUTH_IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'admin@prod-*', bindings: [{ role: 'account-admin', cluster: 'prod-*' }] },
  { name: 'auditor@*/team-a', bindings: [{ role: 'auditor', namespace: 'team-a' }] },
];
const AUTH_SIGNED_IN = AUTH_IDENTITIES.map((i) => i.name);
/** Signed in and not held to a one-time password. */
const AUTH_ACTIVE = AUTH_SIGNED_IN.filter((n) => n !== ONE_TIME_PASSWORD);
const AUDITORS = ['account-admin', 'auditor'];

export const AUTH_MATRIX: MatrixTable = {
  identities: AUTH_IDENTITIES,
  setup: () => Promise.resolve(),
  cases: [
    { route: 'POST /api/v1/auth/logout', allow: AUTH_SIGNED_IN },
    { route: 'POST /api/v1/auth/oidc/logout', allow: AUTH_SIGNED_IN },
    { route: 'GET /api/v1/me', allow: AUTH_SIGNED_IN },
    {
      route: 'POST /api/v1/tokens',
      allow: AUTH_ACTIVE,
      request: ({ identity }) => ({
        url: '/api/v1/tokens',
        payload: { name: 'matrix', password: identity?.password ?? 'x' },
      }),
    },
    { route: 'GET /api/v1/tokens', allow: AUTH_ACTIVE },
    {
      route: 'DELETE /api/v1/tokens/{id}',
      allow: AUTH_ACTIVE,
      request: async ({ hub, identity, identities }) => {
        const owner = identity ?? (identities.get('account-admin') as Identity);
        const t = await createApiToken(hub.db, { userId: owner.userId, name: 'to-revoke' });
        return { url: `/api/v1/tokens/${t.id}` };
      },
    },
    {
      route: 'POST /api/v1/access-requests',
      allow: AUTH_ACTIVE,
      request: () => ({
        url: '/api/v1/access-requests',
        payload: { role: 'operator', cluster: 'prod', namespace: 'payments', duration: '1h', reason: 'matrix' },
      }),
      success: [201],
    },
    { route: 'GET /api/v1/access-requests', allow: AUTH_ACTIVE },
    // Deciding needs access:approve and the role's permissions on the request's scope (here every cluster).
    {
      route: 'POST /api/v1/access-requests/{id}/approve',
      allow: ['account-admin', 'operator'],
      request: async ({ hub }) => ({
        url: `/api/v1/access-requests/${await peerRequest(hub)}/approve`,
        payload: { comment: 'ok' },
      }),
    },
    {
      route: 'POST /api/v1/access-requests/{id}/deny',
      allow: ['account-admin', 'operator'],
      request: async ({ hub }) => ({
        url: `/api/v1/access-requests/${await peerRequest(hub)}/deny`,
        payload: { comment: 'no' },
      }),
    },
    { route: 'GET /api/v1/users', allow: ADMIN_ONLY },
    {
      route: 'POST /api/v1/users',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/users', payload: { username: fresh(), role: 'viewer' } }),
      success: [201],
    },
    {
      route: 'PATCH /api/v1/users/{id}',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => ({
        url: `/api/v1/users/${(await addUser(hub, { username: fresh() })).userId}`,
        payload: { disabled: true },
      }),
    },
    {
      route: 'DELETE /api/v1/users/{id}',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => ({ url: `/api/v1/users/${(await addUser(hub, { username: fresh() })).userId}` }),
      success: [204],
    },
    { route: 'GET /api/v1/roles', allow: ADMIN_ONLY },
    { route: 'GET /api/v1/bindings', allow: ADMIN_ONLY },
    {
      route: 'POST /api/v1/bindings',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => ({
        url: '/api/v1/bindings',
        payload: {
          userId: (await addUser(hub, { username: fresh() })).userId,
          role: 'operator',
          cluster: 'prod-*',
          namespace: '*',
        },
      }),
      success: [201],
    },
    {
      route: 'DELETE /api/v1/bindings/{id}',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => {
        const u = await addUser(hub, { username: fresh() });
        const b = await createBinding(hub.db, {
          userId: u.userId,
          role: 'viewer',
          clusterPattern: '*',
          namespacePattern: '*',
          createdBy: 'test',
        });
        return { url: `/api/v1/bindings/${b.id}` };
      },
      success: [204],
    },
    { route: 'GET /api/v1/notification-rules', allow: ADMIN_ONLY },
    {
      route: 'POST /api/v1/notification-rules',
      allow: ADMIN_ONLY,
      request: () => ({
        url: '/api/v1/notification-rules',
        payload: { name: fresh(), url: 'http://127.0.0.1:9/hook/secret-token' },
      }),
      success: [201],
    },
    {
      route: 'DELETE /api/v1/notification-rules/{id}',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => ({ url: `/api/v1/notification-rules/${await notificationRule(hub)}` }),
      success: [204],
    },
    {
      // Port 9 (discard) refuses at once: the test's one attempt fails fast and is answered.
      route: 'POST /api/v1/notification-rules/{id}/test',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => ({ url: `/api/v1/notification-rules/${await notificationRule(hub)}/test` }),
    },
    { route: 'GET /api/v1/audit', allow: AUDITORS },
    { route: 'GET /api/v1/audit/verify', allow: AUDITORS },
    { route: 'GET /api/v1/audit/export', allow: AUDITORS },
    // Last: it ends the one-time password of that identity.
    {
      route: 'POST /api/v1/auth/password',
      allow: AUTH_SIGNED_IN,
      request: ({ identity }) => ({
        url: '/api/v1/auth/password',
        payload: {
          current: identity?.password ?? 'whatever-password',
          next: `${identity?.password ?? 'whatever-password'}-changed`,
        },
      }),
    },
  ],
};

// ---- clusters, inventory, timeline, actions -------------------------------

export const CLUSTER_IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'admin@prod-*', bindings: [{ role: 'account-admin', cluster: 'prod-*' }] },
  { name: 'operator@staging', bindings: [{ role: 'operator', cluster: 'staging' }] },
  { name: 'operator@*/team-a', bindings: [{ role: 'operator', namespace: 'team-a' }] },
  { name: 'viewer@*/team-a', bindings: [{ role: 'viewer', namespace: 'team-a' }] },
];
/** Who may view cluster prod-east somewhere: every role (all grant view) bound on it. */
const SEES_PROD = [
  'account-admin',
  'operator',
  'viewer',
  'auditor',
  'inventory-viewer',
  'admin@prod-*',
  'operator@*/team-a',
  'viewer@*/team-a',
];
/** Who cannot view anything in prod-east: its routes answer them 404, as for a cluster that does not exist. */
export const HIDES_PROD = ['no-role', 'operator@staging'];
const VIEWS_PROD_CLUSTER_WIDE = ['account-admin', 'operator', 'viewer', 'auditor', 'inventory-viewer', 'admin@prod-*'];
/** Who may read live objects (object:read) in prod-east, namespace team-a: not an inventory-viewer. */
const READS_PROD_OBJECTS = SEES_PROD.filter((n) => n !== 'inventory-viewer');
/** Who may act in prod-east, namespace team-a. */
const ACTS_ON_PROD_TEAM_A = ['account-admin', 'operator', 'admin@prod-*', 'operator@*/team-a'];

let counter = 0;
export const annotateRequest = (ns = 'team-a') => ({
  action: 'annotate',
  target: { kind: 'ConfigMap', namespace: ns, name: 'settings' },
  params: { key: 'example.com/matrix', value: String(++counter) },
});

export const CLUSTER_MATRIX: MatrixTable = {
  identities: CLUSTER_IDENTITIES,
  setup: async (hub) => {
    await connectedCluster(hub, 'prod-east');
    await connectedCluster(hub, 'staging');
  },
  cases: [
    { route: 'GET /api/v1/clusters', allow: names(CLUSTER_IDENTITIES) },
    {
      route: 'POST /api/v1/clusters',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/clusters', payload: { name: `new-${++counter}` } }),
      success: [201],
    },
    {
      route: 'GET /api/v1/clusters/{cluster}',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east' }),
    },
    {
      route: 'DELETE /api/v1/clusters/{cluster}',
      allow: ADMIN_ONLY,
      request: async ({ hub }) => {
        const name = `doomed-${++counter}`;
        await hub.clusters.create(name, 'test');
        return { url: `/api/v1/clusters/${name}` };
      },
      success: [204],
    },
    {
      route: 'POST /api/v1/clusters/{cluster}/token/revoke',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/clusters/staging/token/revoke' }),
    },
    {
      route: 'POST /api/v1/clusters/{cluster}/token/rotate',
      allow: ADMIN_ONLY,
      request: () => ({ url: '/api/v1/clusters/staging/token/rotate' }),
    },
    {
      route: 'PUT /api/v1/clusters/{cluster}/pod-security',
      allow: ADMIN_ONLY,
      request: () => ({
        method: 'PUT',
        url: '/api/v1/clusters/staging/pod-security',
        payload: { level: 'restricted' },
      }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/resources',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/resources' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/pods-by-node',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods-by-node?nodes=node-1' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/nodes',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/nodes' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/workloads',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/workloads' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/search',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/search?q=web' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/timeline',
      allow: VIEWS_PROD_CLUSTER_WIDE,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/timeline' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/timeline/counts',
      allow: VIEWS_PROD_CLUSTER_WIDE,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/timeline/counts' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/timeline/buckets',
      allow: VIEWS_PROD_CLUSTER_WIDE,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/timeline/buckets?from=0&to=3600000' }),
    },
    // Like resources: anyone who views the cluster somewhere gets the insights of the namespaces they may view.
    {
      route: 'GET /api/v1/clusters/{cluster}/insights',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/insights' }),
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/usage/{kind}',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/usage/pods' }),
    },
    // No agent here: an allowed caller gets past authorization to 503 agent_unavailable; everyone else 403.
    {
      route: 'GET /api/v1/clusters/{cluster}/objects',
      allow: READS_PROD_OBJECTS,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/objects?kind=ConfigMap&namespace=team-a&name=settings' }),
      success: [503],
    },
    {
      route: 'POST /api/v1/clusters/{cluster}/actions',
      allow: ACTS_ON_PROD_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/actions', payload: annotateRequest() }),
      success: [202],
    },
    {
      route: 'GET /api/v1/actions/{id}',
      allow: SEES_PROD,
      hidden: HIDES_PROD,
      request: async ({ hub }) => {
        const prod = await hub.clusters.get('prod-east');
        if (!prod) throw new Error('no cluster');
        const req = annotateRequest();
        const cmd = await hub.commands.create('test', prod, { ...req, dryRun: false }, req.params);
        return { url: `/api/v1/actions/${cmd.id}` };
      },
    },
    { route: 'GET /api/v1/actions', allow: names(CLUSTER_IDENTITIES) },
    { route: 'GET /api/v1/overview', allow: names(CLUSTER_IDENTITIES) },
    { route: 'GET /api/v1/catalog/actions', allow: names(CLUSTER_IDENTITIES) },
  ],
};

// ---- pod shell -------------------------------------------------------------

const SHELL_IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'operator@staging', bindings: [{ role: 'operator', cluster: 'staging' }] },
  { name: 'operator@*/team-a', bindings: [{ role: 'operator', namespace: 'team-a' }] },
  { name: 'viewer@*/team-a', bindings: [{ role: 'viewer', namespace: 'team-a' }] },
  { name: 'auditor@*/team-a', bindings: [{ role: 'auditor', namespace: 'team-a' }] },
];
const EXEC_TEAM_A = ['account-admin', 'operator', 'operator@*/team-a'];
const VIEW_TEAM_A = [
  'account-admin',
  'operator',
  'viewer',
  'auditor',
  'inventory-viewer',
  'operator@*/team-a',
  'viewer@*/team-a',
  'auditor@*/team-a',
];
const AUDIT_READ = ['account-admin', 'auditor'];
export const SHELL_SESSION = '6a1c6b0e-8f0e-4a57-9f6e-2f3c1d2b4a10';
/** A live session the matrix pretends the relay holds (someone else's shell on team-a/web-0). */
export const LIVE_SHELL_SESSION = '7b2d7c1f-9f1f-4b68-8a3f-3a4d2e3c5b21';

export const SHELL_MATRIX: MatrixTable = {
  identities: SHELL_IDENTITIES,
  setup: async (hub) => {
    await connectedCluster(hub, 'prod-east');
    // The shell and logs routes check the agent link too; the matrix has no agent, so pretend it is there.
    hub.link.isConnected = () => true;
    // Likewise a live session to join: opening a real one needs an agent (shell.int.test.ts joins real ones).
    const live = hub.shell.live.bind(hub.shell);
    hub.shell.live = (id) =>
      id === LIVE_SHELL_SESSION
        ? {
            id,
            user: 'someone-else',
            cluster: 'prod-east',
            namespace: 'team-a',
            pod: 'web-0',
            container: 'app',
            participants: 0,
          }
        : live(id);
    await hub.inventory.applyChanges('prod-east', [pod('team-a', 'web-0', 'u1')], []);
    // Node shells: the cluster's agent offers them, and the node exists.
    await hub.clusters.markConnected('prod-east', {
      agentVersion: 'test',
      kubernetesVersion: 'v1.35.4',
      capabilities: { ...ALL_TIERS, nodeShell: true },
    });
    await hub.inventory.applyChanges(
      'prod-east',
      [
        {
          kind: 'Node' as const,
          namespace: '',
          name: 'node-1',
          uid: 'n1',
          resourceVersion: '1',
          createdAt: Date.now(),
          labels: {},
          ownerRefs: [],
          summary: { unschedulable: false, conditions: { Ready: 'True' }, taints: [], addresses: [], spec: {} },
        },
      ],
      [],
    );
    const now = Date.now();
    await hub.db
      .insertInto('shell_sessions')
      .values({
        id: SHELL_SESSION,
        cluster_id: 'prod-east',
        namespace: 'team-a',
        pod: 'web-0',
        container: 'app',
        command: '["sh"]',
        username: 'someone-else',
        kube_user: null,
        client_address: '127.0.0.1',
        started_at: now,
        ended_at: now + 1,
        end_reason: 'closed',
        exit_code: 0,
        recorded: 1,
        input_captured: 0,
        recording_bytes: 10,
        recording_truncated: 0,
      })
      .execute();
    await hub.db
      .insertInto('shell_recordings')
      .values({ session_id: SHELL_SESSION, seq: 0, data: '{"version":2,"width":80,"height":24,"timestamp":0}\n' })
      .execute();
  },
  cases: [
    {
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/shell',
      allow: EXEC_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/shell' }),
      success: [426],
      refusalOnTimeline: true,
    },
    {
      // pod:port-forward: operators (and account-admins) of team-a; viewers and auditors are refused.
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/portforward',
      allow: EXEC_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/portforward?port=8080' }),
      success: [426],
    },
    {
      // A pod port in a browser tab: the same permission; the answer's URL is the tab's capability.
      route: 'POST /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/portforward/http',
      allow: EXEC_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({
        method: 'POST',
        url: '/api/v1/clusters/prod-east/pods/team-a/web-0/portforward/http',
        payload: { port: 8080 },
      }),
      success: [201],
    },
    {
      // node:shell: root on a node, account-admins only (operators of the whole cluster are refused).
      route: 'GET /api/v1/clusters/{cluster}/nodes/{node}/shell',
      allow: ADMIN_ONLY,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/nodes/node-1/shell' }),
      success: [426],
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/containers',
      allow: VIEW_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/containers' }),
    },
    // Everyone signed in may list (their own) sessions; naming another user needs audit:read.
    { route: 'GET /api/v1/sessions', allow: names(SHELL_IDENTITIES) },
    {
      route: 'GET /api/v1/sessions/{id}/join',
      // Joining (as observer or peer) needs what opening a shell there needs: pod:exec on the pod's namespace.
      allow: EXEC_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({ url: `/api/v1/sessions/${LIVE_SHELL_SESSION}/join?mode=observer` }),
      success: [426],
    },
    {
      route: 'GET /api/v1/sessions/{id}/participants',
      allow: EXEC_TEAM_A,
      hidden: HIDES_PROD,
      request: () => ({ url: `/api/v1/sessions/${LIVE_SHELL_SESSION}/participants` }),
    },
    {
      route: 'GET /api/v1/sessions/{id}/recording',
      allow: AUDIT_READ,
      request: () => ({ url: `/api/v1/sessions/${SHELL_SESSION}/recording` }),
    },
  ],
};

// ---- live feed, pod logs, agent link ---------------------------------------

export const STREAM_IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'operator@staging', bindings: [{ role: 'operator', cluster: 'staging' }] },
  { name: 'viewer@*/team-a', bindings: [{ role: 'viewer', namespace: 'team-a' }] },
  { name: 'operator@*/team-b', bindings: [{ role: 'operator', namespace: 'team-b' }] },
];

export const STREAM_MATRIX: MatrixTable = {
  identities: STREAM_IDENTITIES,
  setup: async (hub) => {
    await connectedCluster(hub, 'prod-east');
    hub.link.isConnected = () => true;
    await hub.inventory.applyChanges(
      'prod-east',
      [
        pod('team-a', 'web-0', 'u1'),
        {
          kind: 'Deployment' as const,
          namespace: 'team-a',
          name: 'web',
          uid: 'd1',
          resourceVersion: '1',
          createdAt: Date.now(),
          labels: {},
          ownerRefs: [],
          summary: deploymentSummary(),
        },
      ],
      [],
    );
  },
  cases: [
    // A plain GET that passes the checks answers 426; routes-matrix.test.ts subscribes for real.
    {
      route: 'GET /api/v1/live',
      allow: [
        'account-admin',
        'operator',
        'viewer',
        'auditor',
        'inventory-viewer',
        'viewer@*/team-a',
        'operator@*/team-b',
      ],
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/live?cluster=prod-east' }),
      success: [426],
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/logs',
      // logs:read: an inventory-viewer sees the pod but not what its containers print.
      allow: ['account-admin', 'operator', 'viewer', 'auditor', 'viewer@*/team-a'],
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/logs' }),
      success: [426],
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/workloads/{namespace}/{kind}/{name}/logs',
      // The same permission as one pod's log: logs:read on the namespace.
      allow: ['account-admin', 'operator', 'viewer', 'auditor', 'viewer@*/team-a'],
      hidden: HIDES_PROD,
      request: () => ({ url: '/api/v1/clusters/prod-east/workloads/team-a/Deployment/web/logs' }),
      success: [426],
    },
    // Only a cluster's agent token opens the agent link; no user credential does.
    { route: `GET ${AGENT_CONNECT_PATH}`, allow: [], refused: { status: 401, error: 'unauthenticated' } },
    // Replicas' internal peer route: only a signature with the replicas' peer secret opens it; no user credential does.
    {
      route: `GET ${PEER_PATH}`,
      allow: [],
      refused: { status: 401, error: 'unauthenticated' },
      refusalAudit: 'peer.connect',
    },
  ],
};

export const ALL_MATRICES: readonly MatrixTable[] = [AUTH_MATRIX, CLUSTER_MATRIX, SHELL_MATRIX, STREAM_MATRIX];

/**
 * Call inside a describe: a hub with the table's identities and fixtures, and
 * one test per case. The returned object is filled in beforeAll.
 */
export function useMatrix(table: MatrixTable): { hub: Hub; identities: Map<string, Identity> } {
  const ctx = {} as { hub: Hub; identities: Map<string, Identity> };
  beforeAll(async () => {
    useFastPasswordHashing();
    // No dispatcher pass on its timer: the first one after a case made a notification rule stores the
    // dispatcher's cursor, mid-way through whichever call is being checked for changing nothing.
    ctx.hub = await createHub({ logger: false, webRoot: false, notifications: { intervalMs: 3_600_000 } });
    ctx.identities = await setupIdentities(ctx.hub, table.identities);
    await table.setup(ctx.hub);
  });
  afterAll(() => ctx.hub.close());
  it.each(table.cases.map((c) => [c.route, c] as const))('%s', async (_route, c) => {
    expect(await checkAuthzCase(ctx.hub, ctx.identities, c)).toEqual([]);
  });
  return ctx;
}
