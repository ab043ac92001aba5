// Pod shell routes × every built-in role and scoped users: no unauthorized success.
// The shell route answers a plain GET with 426 after every check, so the matrix
// sees its authorization without a WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import {
  DEFAULT_IDENTITIES,
  checkAuthzCase,
  setupIdentities,
  uncoveredRoutes,
  type AuthzCase,
  type Identity,
  type IdentitySpec,
} from './support/authz-matrix.js';
import { useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

const IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'operator@staging', bindings: [{ role: 'operator', cluster: 'staging' }] },
  { name: 'operator@*/team-a', bindings: [{ role: 'operator', namespace: 'team-a' }] },
  { name: 'viewer@*/team-a', bindings: [{ role: 'viewer', namespace: 'team-a' }] },
  { name: 'auditor@*/team-a', bindings: [{ role: 'auditor', namespace: 'team-a' }] },
];
const ALL = IDENTITIES.map((i) => i.name);
const EXEC_TEAM_A = ['account-admin', 'operator', 'operator@*/team-a'];
const VIEW_TEAM_A = [
  'account-admin',
  'operator',
  'viewer',
  'auditor',
  'operator@*/team-a',
  'viewer@*/team-a',
  'auditor@*/team-a',
];
const AUDIT_READ = ['account-admin', 'auditor'];
const SESSION = '6a1c6b0e-8f0e-4a57-9f6e-2f3c1d2b4a10';

describe('authorization matrix: pod shell', () => {
  let hub: Hub;
  let identities: Map<string, Identity>;

  beforeAll(async () => {
    hub = await createHub({ logger: false });
    identities = await setupIdentities(hub, IDENTITIES);
    await hub.clusters.create('prod-east', 'test');
    await hub.clusters.markConnected('prod-east', {
      agentVersion: 'test',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: true },
    });
    // The shell route checks the agent link too; the matrix has no agent, so pretend it is there.
    hub.link.isConnected = () => true;
    const now = Date.now();
    await hub.inventory.applyChanges(
      'prod-east',
      [
        {
          kind: 'Pod',
          namespace: 'team-a',
          name: 'web-0',
          uid: 'u1',
          resourceVersion: '1',
          createdAt: now,
          labels: {},
          ownerRefs: [],
          summary: { phase: 'Running', containers: [{ name: 'app', state: 'running', ready: true, restartCount: 0 }] },
        },
      ],
      [],
    );
    await hub.db
      .insertInto('shell_sessions')
      .values({
        id: SESSION,
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
      .values({ session_id: SESSION, seq: 0, data: '{"version":2,"width":80,"height":24,"timestamp":0}\n' })
      .execute();
  });
  afterAll(() => hub.close());

  const CASES: AuthzCase[] = [
    {
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/shell',
      allow: EXEC_TEAM_A,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/shell' }),
      success: [426],
    },
    {
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/containers',
      allow: VIEW_TEAM_A,
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/containers' }),
    },
    // Everyone signed in may list (their own) sessions; naming another user needs audit:read.
    { route: 'GET /api/v1/sessions', allow: ALL },
    {
      route: 'GET /api/v1/sessions/{id}/recording',
      allow: AUDIT_READ,
      request: () => ({ url: `/api/v1/sessions/${SESSION}/recording` }),
    },
  ];

  for (const c of CASES) {
    it(c.route, async () => {
      expect(await checkAuthzCase(hub, identities, c)).toEqual([]);
    });
  }

  it('lists only the caller’s own sessions without audit:read, and refuses naming another user', async () => {
    const op = identities.get('operator');
    const auditor = identities.get('auditor');
    if (!op || !auditor) throw new Error('no identity');
    const own = await hub.app.inject({ url: '/api/v1/sessions', headers: { authorization: `Bearer ${op.token}` } });
    expect(own.json<{ items: unknown[] }>().items).toEqual([]);
    const other = await hub.app.inject({
      url: '/api/v1/sessions?user=someone-else',
      headers: { authorization: `Bearer ${op.token}` },
    });
    expect(other.statusCode).toBe(403);
    const all = await hub.app.inject({
      url: '/api/v1/sessions?user=someone-else',
      headers: { authorization: `Bearer ${auditor.token}` },
    });
    expect(all.json<{ items: { id: string }[] }>().items.map((s) => s.id)).toEqual([SESSION]);
  });

  it('covers every route tagged shell', async () => {
    expect(await uncoveredRoutes(hub, CASES, { tags: ['shell'] })).toEqual([]);
  });
});
