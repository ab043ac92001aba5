// Roll back to a chosen revision of a Deployment: its ReplicaSets listed with
// revision, images (what differs from the current one marked), change-cause
// and age — instead of a blank number field. The dialog's dry run then shows
// the full template diff to the current revision.
import { humanAge } from '../age.js';
import type { InventoryItemOf } from '../api/types.js';
import { useMemo } from 'react';
import { useNow } from '../data/hooks.js';
import { useListedObjects } from '../data/listed-objects.js';
import { useOneObject } from '../data/one-object.js';

export interface Revision {
  revision: number;
  images: string[];
  changeCause: string | null;
  createdAt: number;
  current: boolean;
}

/** A Deployment's revisions, newest first, from the ReplicaSets it owns. */
export function deploymentRevisions(
  deployment: InventoryItemOf<'Deployment'>,
  replicaSets: readonly InventoryItemOf<'ReplicaSet'>[],
): Revision[] {
  const current = Number(deployment.summary.revision ?? NaN);
  return replicaSets
    .filter(
      (rs) =>
        rs.namespace === deployment.namespace &&
        rs.ownerRefs.some((o) => o.kind === 'Deployment' && o.name === deployment.name),
    )
    .flatMap((rs) => {
      const revision = Number(rs.summary.revision ?? NaN);
      if (!Number.isInteger(revision)) return [];
      return [
        {
          revision,
          images: rs.summary.images,
          changeCause: rs.summary.changeCause ?? null,
          createdAt: rs.createdAt,
          current: revision === current,
        },
      ];
    })
    .sort((a, b) => b.revision - a.revision);
}

/** The revision `kubectl rollout undo` picks without --to-revision: the newest that is not current. */
export const previousRevision = (revs: readonly Revision[]): number | undefined =>
  revs.find((r) => !r.current)?.revision;

export function RevisionPicker({
  cluster,
  namespace,
  name,
  value,
  onPick,
}: {
  cluster: string;
  namespace: string;
  name: string;
  /** The chosen revision; undefined: the previous one. */
  value: number | undefined;
  onPick: (revision: number) => void;
}) {
  // The Deployment by name and its ReplicaSets by owner, kept live — not the
  // cluster's whole Deployment and ReplicaSet lists (issue 18).
  const { item } = useOneObject(cluster, 'Deployment', namespace, name);
  const owned = useMemo(() => [{ kind: 'ReplicaSet', namespace, owner: `Deployment/${name}` }], [namespace, name]);
  const { items: replicaSets, error } = useListedObjects(cluster, owned);
  const now = useNow(10_000);
  if (item === undefined || replicaSets === undefined) return <p className="hint">Loading revisions…</p>;
  const deployment = item?.kind === 'Deployment' ? item : undefined;
  if (!deployment) return <p className="hint">This Deployment is not in the inventory (any more).</p>;
  if (error) return <p className="error">{error}</p>;
  const revs = deploymentRevisions(
    deployment,
    replicaSets.filter((i): i is InventoryItemOf<'ReplicaSet'> => i.kind === 'ReplicaSet'),
  );
  const current = revs.find((r) => r.current);
  const chosen = value ?? previousRevision(revs);
  if (revs.length < 2)
    return (
      <p className="hint">There is no earlier revision to roll back to (Kubernetes keeps revisionHistoryLimit).</p>
    );
  return (
    <table className="data" aria-label="Revisions">
      <thead>
        <tr>
          <th />
          <th className="num">Revision</th>
          <th>Images</th>
          <th>Change cause</th>
          <th>Age</th>
        </tr>
      </thead>
      <tbody>
        {revs.map((r) => (
          <tr key={r.revision} data-revision={r.revision} aria-current={r.current ? 'true' : undefined}>
            <td>
              <input
                type="radio"
                name="toRevision"
                aria-label={`Revision ${r.revision}`}
                disabled={r.current}
                checked={r.revision === chosen}
                onChange={() => onPick(r.revision)}
              />
            </td>
            <td className="num">
              {r.revision}
              {r.current && <span className="hint"> (current)</span>}
            </td>
            <td className="mono">
              {r.images.map((img) => (
                <div key={img}>
                  {img}
                  {!r.current && current && !current.images.includes(img) && (
                    <span className="hint"> (current: {current.images.join(', ')})</span>
                  )}
                </div>
              ))}
            </td>
            <td>{r.changeCause ?? <span className="hint">none recorded</span>}</td>
            <td>{humanAge(Math.max(0, now - r.createdAt))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
