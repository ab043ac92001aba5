// Field-level changes as the agent computes them (path, from, to): what a dry
// run would change, what a deploy changed.
import type { FieldChangeView } from './format.js';
import { formatValue } from './format.js';

export function DiffView({ changes, label = 'Changes' }: { changes: readonly FieldChangeView[]; label?: string }) {
  if (changes.length === 0) return <p className="hint">No field changes.</p>;
  return (
    <div className="diff" role="table" aria-label={label}>
      {changes.map((c, i) => (
        <div className="row" role="row" key={`${c.path}-${i}`}>
          <div className="path" role="cell">
            {c.path}
          </div>
          <div className="vals" role="cell">
            {c.from !== undefined && <del aria-label="before">{formatValue(c.from)}</del>}
            {c.from !== undefined && c.to !== undefined && ' → '}
            {c.to !== undefined && <ins aria-label="after">{formatValue(c.to)}</ins>}
            {c.to === undefined && <span className="hint"> (removed)</span>}
            {c.from === undefined && <span className="hint"> (added)</span>}
          </div>
        </div>
      ))}
    </div>
  );
}
