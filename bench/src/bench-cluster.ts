// The one cluster row the store benchmarks write timeline events under (the
// events' foreign key needs it); no agent ever connects to it.
import type { HubDb } from '@wheelhouse/hub';

export async function addBenchCluster(db: HubDb, id = 'bench'): Promise<void> {
  await db
    .insertInto('clusters')
    .values({
      id,
      created_at: 0,
      created_by: 'bench',
      token_hash: '',
      token_revoked_at: null,
      agent_version: null,
      kubernetes_version: null,
      capabilities: '{}',
      last_seen_at: null,
      connected: 0,
    })
    .execute();
}
