import { describe, expect, it } from 'vitest';
import type { InventoryItemOf } from '../src/api/types.js';
import { deploymentRevisions, previousRevision } from '../src/ui/RevisionPicker.js';

const meta = (name: string, owner: string | null) => ({
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt: 1000,
  labels: {},
  ownerRefs: owner ? [{ kind: 'Deployment', name: owner, uid: `uid-${owner}` }] : [],
});
const rs = (name: string, owner: string | null, revision: string, image: string, changeCause?: string) =>
  ({
    ...meta(name, owner),
    kind: 'ReplicaSet',
    summary: { replicas: 0, readyReplicas: 0, availableReplicas: 0, revision, changeCause, images: [image] },
  }) as InventoryItemOf<'ReplicaSet'>;

describe('rollback revisions of a Deployment', () => {
  it("lists its own ReplicaSets newest first, marks the current one, and picks the previous like 'rollout undo'", () => {
    const d = {
      ...meta('storefront', null),
      kind: 'Deployment',
      summary: {
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 2,
        revision: '3',
        paused: false,
        images: ['shop:1.2'],
        conditions: {},
        spec: {},
      },
    } as InventoryItemOf<'Deployment'>;
    const revs = deploymentRevisions(d, [
      rs('a', 'storefront', '1', 'shop:1.0', 'first'),
      rs('c', 'storefront', '3', 'shop:1.2'),
      rs('b', 'storefront', '2', 'shop:1.1'),
      rs('other', 'checkout', '7', 'checkout:1'),
    ]);
    expect(revs.map((r) => [r.revision, r.current, r.images[0], r.changeCause])).toEqual([
      [3, true, 'shop:1.2', null],
      [2, false, 'shop:1.1', null],
      [1, false, 'shop:1.0', 'first'],
    ]);
    expect(previousRevision(revs)).toBe(2);
  });
});
