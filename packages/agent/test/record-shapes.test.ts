// Memory per pod: the agent keeps two records per pod (the inventory item and
// the checks' trimmed pod). Built with object spread, nearly every one got a
// hidden class (V8 map) of its own — at 30,000 pods ~60,000 maps, ~16 MB. This
// counts the maps in a heap snapshot before and after 2,000 pods are kept.
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { trimForChecks } from '../src/insights/cluster-view.js';
import { project, type KubeObject } from '../src/projections.js';

/** Hidden classes ("object shape" nodes) in a heap snapshot of this process. */
async function shapes(): Promise<number> {
  const chunks: string[] = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(String(c));
  const snap = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const { node_fields: fields, node_types: types } = snap.snapshot.meta;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  let n = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length)
    if (
      types[0][snap.nodes[i + typeAt] ?? 0] === 'object shape' &&
      snap.strings[snap.nodes[i + nameAt] ?? 0] === 'system / Map'
    )
      n++;
  return n;
}

function pod(i: number): KubeObject {
  return JSON.parse(
    JSON.stringify({
      metadata: {
        name: `pod-${i}`,
        namespace: `ns-${i % 7}`,
        uid: `uid-${i}`,
        resourceVersion: String(1000 + i),
        creationTimestamp: '2026-11-28T10:00:00Z',
        labels: { app: `app-${i % 100}` },
        ...(i % 5 === 0 ? { deletionTimestamp: '2026-11-28T11:00:00Z' } : {}),
        ...(i % 3 === 0 ? { ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid' }] } : {}),
      },
      spec: { nodeName: `node-${i % 50}`, containers: [{ name: 'app', image: 'app:1' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [
          {
            name: 'app',
            ready: i % 2 === 0,
            restartCount: i % 4,
            state: i % 2 === 0 ? { running: { startedAt: '2026-11-28T10:00:01Z' } } : { waiting: { reason: 'X' } },
            ...(i % 4 ? { lastState: { terminated: { exitCode: 1, reason: 'Error' } } } : {}),
          },
        ],
      },
    }),
  ) as KubeObject;
}

describe('records the agent keeps per pod', () => {
  it('share hidden classes: 2,000 pods kept add a few maps, not one or more per pod', async () => {
    const objects = Array.from({ length: 2000 }, (_, i) => pod(i));
    const before = await shapes();
    const kept = objects.map((o) => [project('Pod', o), trimForChecks('Pod', o)]);
    const after = await shapes();
    expect(kept).toHaveLength(2000);
    expect(before).toBeGreaterThan(100); // the count works: a process has maps
    expect(after - before).toBeLessThan(200);
  }, 60_000);
});
