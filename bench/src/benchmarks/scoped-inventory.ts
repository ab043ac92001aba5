// A namespace-scoped viewer's inventory page (issue 13 item 8): 20k pods in a
// real SQLite store, the viewer's one namespace sorts last, ?limit=1 over the
// hub's API — beside the same request from a cluster-wide viewer, whose page
// needs no permission filter. A ratio near 1 means scoping costs nothing extra.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, type Hub } from '@wheelhouse/hub';
import { benchToken } from '../bench-token.js';
import { seededPod } from '@wheelhouse/e2e/seeded-items';
import type { InventoryItem } from '@wheelhouse/protocol';
import type { Benchmark } from '../harness.js';

const PODS = 20_000;

function pod(i: number, namespace = `team-${String(i % 40).padStart(2, '0')}`): InventoryItem {
  const name = `pod-${String(i).padStart(5, '0')}`;
  return seededPod({ namespace, name, uid: `uid-${namespace}-${i}`, createdAt: 0, labels: { app: 'bench' } });
}

const viewerToken = (hub: Hub, username: string, namespacePattern: string): Promise<string> =>
  benchToken(hub.db, { role: 'viewer', username, clusterPattern: 'c1', namespacePattern });

export async function scopedInventoryBenchmark(): Promise<Benchmark> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-scoped-'));
  const hub = await createHub({ dataDir: dir, logger: false, webRoot: false });
  await hub.clusters.create('c1', 'bench');
  const items = Array.from({ length: PODS }, (_, i) => pod(i));
  items.push(pod(0, 'zz-late'));
  await hub.inventory.applySnapshotChunk('c1', 'Pod', 'bench', items, true);
  const scoped = await viewerToken(hub, 'scoped', 'zz-late');
  const wide = await viewerToken(hub, 'wide', '*');
  const get = async (token: string): Promise<void> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/clusters/c1/resources?limit=1',
      headers: { authorization: `Bearer ${token}` },
    });
    const body = res.json<{ items: InventoryItem[] }>();
    if (res.statusCode !== 200 || body.items.length !== 1) throw new Error(`unexpected answer ${res.statusCode}`);
  };
  return {
    name: 'scoped-inventory',
    description: `inventory ?limit=1 over the API, ${PODS.toLocaleString('en-US')} pods: viewer of the last namespace vs cluster-wide viewer`,
    rounds: 20,
    subject: { label: 'viewer of one late namespace', run: () => get(scoped) },
    baseline: { label: 'cluster-wide viewer', run: () => get(wide) },
    teardown: async () => {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
