// The action catalog (GET /catalog/actions): titles, tiers, target kinds and
// params as JSON Schema, all from the one declaration per action. Loaded once.
import { api } from '../api/client.js';
import type { CatalogAction } from '../api/types.js';

let catalog: Promise<CatalogAction[]> | undefined;

export function loadCatalog(): Promise<CatalogAction[]> {
  catalog ??= api<{ items: CatalogAction[] }>('/api/v1/catalog/actions').then(
    (r) => r.items,
    (err: unknown) => {
      catalog = undefined;
      throw err;
    },
  );
  return catalog;
}
