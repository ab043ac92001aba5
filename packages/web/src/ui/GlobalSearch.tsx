// Jump anywhere: type part of a name (optionally "kind/" or a namespace) and
// pick with the arrow keys. Searches the live inventory the console holds.
import { useMemo, useState } from 'react';
import { useLocation } from 'wouter';
import type { InventoryItem } from '../api/types.js';
import { useKinds } from '../data/hooks.js';
import { kindFromAlias } from '@wheelhouse/protocol/core';
import { objectHref } from '../links.js';

const SEARCHED = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Pod',
  'Node',
  'Service',
  'ConfigMap',
  'Ingress',
  'PersistentVolumeClaim',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Namespace',
] as const;

/**
 * "deploy/web", "web prod", "pod checkout", "pvc", "svc api": every word must match the kind (its
 * name or a kubectl short name: pvc, svc, cm, deploy, sts…), the namespace or the name.
 */
export function searchInventory(items: readonly InventoryItem[], query: string, limit = 20): InventoryItem[] {
  const words = query
    .toLowerCase()
    .split(/[\s/]+/)
    .filter(Boolean);
  if (words.length === 0) return [];
  const aliases = new Map(words.map((w) => [w, kindFromAlias(w)]));
  const scored: { it: InventoryItem; score: number }[] = [];
  for (const it of items) {
    const kind = it.kind.toLowerCase();
    const name = it.name.toLowerCase();
    const ns = it.namespace.toLowerCase();
    let score = 0;
    let all = true;
    for (const w of words) {
      if (aliases.get(w) === it.kind) score += 1;
      else if (name === w) score += 4;
      else if (name.startsWith(w)) score += 3;
      else if (name.includes(w)) score += 2;
      else if (kind.startsWith(w) || ns === w) score += 1;
      else {
        all = false;
        break;
      }
    }
    if (all) scored.push({ it, score });
  }
  scored.sort((a, b) => b.score - a.score || a.it.name.length - b.it.name.length || a.it.name.localeCompare(b.it.name));
  return scored.slice(0, limit).map((s) => s.it);
}

export function GlobalSearch({ cluster }: { cluster: string }) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [, navigate] = useLocation();
  return (
    <div className="search" role="search">
      <input
        type="search"
        aria-label="Search objects"
        placeholder="Search: name, kind/name, namespace…"
        value={query}
        role="combobox"
        aria-expanded={open && query.length > 0}
        aria-controls="search-results"
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
          if (e.key === 'ArrowDown') setActive((a) => a + 1);
          if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
          if (e.key === 'Enter') {
            const el = document.querySelector<HTMLElement>(`#search-results [data-index="${active}"]`);
            el?.click();
          }
        }}
      />
      {open && query && (
        <Results
          cluster={cluster}
          query={query}
          active={active}
          onPick={(href) => {
            setOpen(false);
            setQuery('');
            navigate(href);
          }}
        />
      )}
    </div>
  );
}

function Results({
  cluster,
  query,
  active,
  onPick,
}: {
  cluster: string;
  query: string;
  active: number;
  onPick: (href: string) => void;
}) {
  const all = useKinds(cluster, SEARCHED);
  const found = useMemo(() => searchInventory(all ?? [], query), [all, query]);
  const loading = all === undefined;
  return (
    <ul id="search-results" role="listbox" aria-label="Search results">
      {found.map((it, i) => {
        const href = objectHref(cluster, it.kind, it.namespace, it.name);
        return (
          <li
            key={it.uid}
            role="option"
            data-index={i}
            aria-selected={i === Math.min(active, found.length - 1)}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => onPick(href)}
          >
            <span className="kind">{it.kind}</span>
            <span>
              {it.namespace && <span className="hint">{it.namespace}/</span>}
              {it.name}
            </span>
          </li>
        );
      })}
      {found.length === 0 && <li className="hint">{loading ? 'Loading…' : 'Nothing matches'}</li>}
    </ul>
  );
}
