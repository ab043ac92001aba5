// The namespace picker of list pages; the choice lives in the URL (?namespace=).
import type { InventoryItem } from '../api/types.js';

/** The namespaces the items are in, sorted. */
export function namespacesOf(items: readonly InventoryItem[] | undefined): string[] {
  return [...new Set((items ?? []).map((i) => i.namespace))].sort();
}

export function NamespaceFilter({
  names,
  value,
  onChange,
  allLabel = 'All namespaces',
}: {
  names: readonly string[];
  value: string;
  onChange: (ns: string) => void;
  allLabel?: string;
}) {
  return (
    <select aria-label="Namespace" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{allLabel}</option>
      {names.map((n) => (
        <option key={n}>{n}</option>
      ))}
    </select>
  );
}
