import type { InventoryItem } from '@wheelhouse/protocol';
import { describe, expect, it } from 'vitest';
import { snapshotDeletions } from '../src/timeline/snapshot-deletions.js';

const item = (kind: InventoryItem['kind'], name: string, uid: string, ownerRefs: InventoryItem['ownerRefs'] = []) =>
  ({
    kind,
    namespace: 'ns',
    name,
    uid,
    resourceVersion: '1',
    createdAt: 0,
    labels: {},
    ownerRefs,
  }) satisfies Omit<InventoryItem, 'summary'>;

describe('deletions found missing from a snapshot', () => {
  it('records them with the agent’s ids, owned by the workload, skipping kinds without deletion events', async () => {
    const rs = item('ReplicaSet', 'web-5d9', 'rs-1', [{ kind: 'Deployment', name: 'web', uid: 'd-1' }]);
    const gone = [
      item('Pod', 'web-5d9-abc', 'p-1', [{ kind: 'ReplicaSet', name: 'web-5d9', uid: 'rs-1' }]),
      item('Pod', 'orphan-of-gone-rs', 'p-2', [{ kind: 'ReplicaSet', name: 'old-rs', uid: 'rs-9' }]),
      item('ConfigMap', 'settings', 'cm-1'),
      item('ReplicaSet', 'other', 'rs-2'),
    ];
    const events = await snapshotDeletions(gone, 1234, (uid) => Promise.resolve(uid === 'rs-1' ? rs : null));
    expect(events).toEqual([
      expect.objectContaining({
        id: 'deleted:p-1',
        type: 'deleted',
        time: 1234,
        kind: 'Pod',
        name: 'web-5d9-abc',
        owner: { kind: 'Deployment', name: 'web' },
        data: { noticedOnResync: true },
      }),
      expect.objectContaining({ id: 'deleted:p-2', owner: { kind: 'ReplicaSet', name: 'old-rs' } }),
      expect.objectContaining({ id: 'deleted:cm-1', kind: 'ConfigMap', summary: 'ConfigMap settings deleted' }),
    ]);
  });
});
