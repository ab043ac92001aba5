// The cluster's timeline, or one namespace's.
import { useMemo } from 'react';
import { useKind } from '../data/hooks.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { NamespaceFilter } from '../ui/NamespaceFilter.js';
import { useQueryState } from '../ui/query-state.js';

export function TimelinePage({ cluster }: { cluster: string }) {
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const { items } = useKind(cluster, 'Namespace');
  const names = useMemo(() => (items ?? []).map((n) => n.name).sort(), [items]);
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          Timeline
        </h1>
        <NamespaceFilter names={names} value={namespace} onChange={setNamespace} allLabel="Whole cluster" />
      </div>
      <TimelineView key={namespace} cluster={cluster} namespace={namespace || undefined} />
    </>
  );
}
