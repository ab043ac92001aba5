// The action catalog (GET /catalog/actions): titles, tiers, target kinds and
// params as JSON Schema, all from the one declaration per action. Loaded once
// and shared: a table with hundreds of action menus makes one request and
// re-renders once.
import { useEffect, useSyncExternalStore } from 'react';
import { api } from '../api/client.js';
import type { CatalogAction } from '../api/types.js';

let catalog: CatalogAction[] | undefined;
let loading: Promise<void> | undefined;
const listeners = new Set<() => void>();

function load(): void {
  loading ??= api<{ items: CatalogAction[] }>('/api/v1/catalog/actions').then(
    (r) => {
      catalog = r.items;
      for (const fn of listeners) fn();
    },
    () => {
      loading = undefined; // try again with the next menu that needs it
    },
  );
}

/** The catalog, or undefined until it has loaded. */
export function useCatalog(): CatalogAction[] | undefined {
  useEffect(load, []);
  return useSyncExternalStore(
    (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    () => catalog,
  );
}
