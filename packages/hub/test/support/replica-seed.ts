// What the multi-process tests seed into the store before the hubs start:
// people with role bindings and API tokens, and a cluster whose agent token
// the test's agent process uses.
import { createApiToken, createBinding, createUser } from '../../src/auth/identity-store.js';
import { ClusterStore } from '../../src/clusters/cluster-store.js';
import type { HubDb } from '../../src/store/db.js';

type Role = 'account-admin' | 'operator' | 'viewer';

/** A user bound to each role on every cluster and namespace, with an API token; the binding ids by role. */
export async function seedUser(
  db: HubDb,
  username: string,
  roles: readonly Role[],
): Promise<{ token: string; bindings: Partial<Record<Role, string>> }> {
  const { user } = await createUser(db, { username, passwordHash: 'x', mustChangePassword: false, createdBy: 'test' });
  const bindings: Partial<Record<Role, string>> = {};
  for (const role of roles) {
    const binding = { userId: user.id, role, clusterPattern: '*', namespacePattern: '*', createdBy: 'test' };
    bindings[role] = (await createBinding(db, binding)).id;
  }
  const token = (await createApiToken(db, { userId: user.id, name: 't' })).token;
  return { token, bindings };
}

/** Registers the cluster; its agent token. */
export async function seedCluster(db: HubDb, cluster: string): Promise<string> {
  return (await new ClusterStore(db).create(cluster, 'test'))?.token ?? '';
}

export async function seedAdminAndCluster(
  db: HubDb,
  username: string,
  cluster: string,
): Promise<{ token: string; agentToken: string }> {
  const { token } = await seedUser(db, username, ['account-admin']);
  return { token, agentToken: await seedCluster(db, cluster) };
}
