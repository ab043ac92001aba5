// The API token a benchmark's requests carry: a user bound to one role (by
// cluster and namespace pattern), who never signs in with a password.
import type { HubDb } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';

export interface BenchTokenOptions {
  role: Parameters<typeof createBinding>[1]['role'];
  username?: string;
  clusterPattern?: string;
  namespacePattern?: string;
}

export async function benchToken(db: HubDb, opts: BenchTokenOptions): Promise<string> {
  const { user } = await createUser(db, {
    username: opts.username ?? 'bench',
    passwordHash: '!',
    mustChangePassword: false,
    createdBy: 'bench',
  });
  await createBinding(db, {
    userId: user.id,
    role: opts.role,
    clusterPattern: opts.clusterPattern ?? '*',
    namespacePattern: opts.namespacePattern ?? '*',
    createdBy: 'bench',
  });
  return (await createApiToken(db, { userId: user.id, name: 'bench' })).token;
}
