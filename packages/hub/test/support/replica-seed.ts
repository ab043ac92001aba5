// What the multi-process tests seed into the store before the hubs start: an
// account-admin with an API token, and a cluster whose agent token the test's
// agent process uses.
import { createApiToken, createBinding, createUser } from '../../src/auth/identity-store.js';
import { ClusterStore } from '../../src/clusters/cluster-store.js';
import type { HubDb } from '../../src/store/db.js';

export async function seedAdminAndCluster(
  db: HubDb,
  username: string,
  cluster: string,
): Promise<{ token: string; agentToken: string }> {
  const { user } = await createUser(db, { username, passwordHash: 'x', mustChangePassword: false, createdBy: 'test' });
  await createBinding(db, {
    userId: user.id,
    role: 'account-admin',
    clusterPattern: '*',
    namespacePattern: '*',
    createdBy: 'test',
  });
  const token = (await createApiToken(db, { userId: user.id, name: 't' })).token;
  const agentToken = (await new ClusterStore(db).create(cluster, 'test'))?.token ?? '';
  return { token, agentToken };
}
