// A hub on a new store (SQLite or PostgreSQL, see store-factories.ts) holding
// cluster c1's inventory — each kind one snapshot, as an agent sends them — and
// two viewers: one of everything, one of a single namespace of c1. What the
// inventory list tests start from.
import type { InventoryItem } from '@wheelhouse/protocol';
import { createHub, type Hub } from '../../src/server.js';
import { addUser, bearer, type TestUser } from './identity.js';
import type { StoreFactory } from './store-factories.js';

export interface InventoryHub {
  hub: Hub;
  admin: TestUser;
  scoped: TestUser;
}

export async function inventoryHub(
  factory: StoreFactory,
  items: readonly InventoryItem[],
  scopedNamespace = 'ns-b',
): Promise<InventoryHub> {
  const hub = await createHub({ ...(await factory.options()), logger: false, webRoot: false });
  await hub.clusters.create('c1', 'test');
  for (const kind of new Set(items.map((it) => it.kind)))
    await hub.inventory.applySnapshotChunk(
      'c1',
      kind,
      's1',
      items.filter((it) => it.kind === kind),
      true,
    );
  const admin = await addUser(hub, { bindings: [{ role: 'viewer' }] });
  const scoped = await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c1', namespace: scopedNamespace }] });
  return { hub, admin, scoped };
}

/** GET /api/v1/clusters/c1/<route>?<query> as a user: the status and the parsed body. */
export async function getAs(
  hub: Hub,
  user: TestUser,
  route: string,
  query: string,
): Promise<{ status: number; body: unknown }> {
  const res = await hub.app.inject({
    method: 'GET',
    url: `/api/v1/clusters/c1/${route}?${query}`,
    headers: bearer(user.token),
  });
  return { status: res.statusCode, body: res.json() };
}
