// Jump anywhere: type part of a name (optionally "kind/" or a namespace) and
// pick with the arrow keys. The hub searches its inventory (GET …/search):
// "deploy/web", "web prod", "pod checkout", "pvc", "svc api" — every word must
// match the kind (its name or a kubectl short name), the namespace or the name.
import { useEffect, useState } from 'react';
import { useLocation } from 'wouter';
import { useObjectSearch } from '../data/object-search.js';
import { objectHref } from '../links.js';

export function GlobalSearch({ cluster }: { cluster: string }) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  // Enter pressed while the hub's answer is out: pick when it arrives (not the previous query's match).
  const [enterPending, setEnterPending] = useState(false);
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
          setEnterPending(false);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setOpen(false);
            setEnterPending(false);
          }
          if (e.key === 'ArrowDown') setActive((a) => a + 1);
          if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
          if (e.key === 'Enter') {
            if (document.querySelector('#search-results[aria-busy="true"]')) {
              setEnterPending(true);
              return;
            }
            const el = document.querySelector<HTMLElement>('#search-results [aria-selected="true"]');
            el?.click();
          }
        }}
      />
      {open && query && (
        <Results
          cluster={cluster}
          query={query}
          active={active}
          enterPending={enterPending}
          onPick={(href) => {
            setEnterPending(false);
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
  enterPending,
  onPick,
}: {
  cluster: string;
  query: string;
  active: number;
  enterPending: boolean;
  onPick: (href: string) => void;
}) {
  const { items: found, searching, error } = useObjectSearch(cluster, query);
  const picked = found[Math.min(active, found.length - 1)];
  useEffect(() => {
    if (enterPending && !searching && picked) onPick(objectHref(cluster, picked.kind, picked.namespace, picked.name));
  }, [enterPending, searching, picked, cluster, onPick]);
  return (
    <ul id="search-results" role="listbox" aria-label="Search results" aria-busy={searching}>
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
      {error !== null && (
        <li className="error" role="alert">
          Search failed: {error}
        </li>
      )}
      {searching && <li className="hint">Searching…</li>}
      {!searching && error === null && found.length === 0 && <li className="hint">Nothing matches</li>}
    </ul>
  );
}
