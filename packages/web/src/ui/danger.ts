// The one way a danger action (delete, drain, rollback: `danger` in the action
// catalog) looks wherever it is offered: a button, a menu item, a dialog's Run.
import type { CatalogAction } from '../api/types.js';

export function dangerClass(action: Pick<CatalogAction, 'danger'> | undefined, base?: string): string | undefined {
  const classes = [base, action?.danger ? 'danger' : undefined].filter(Boolean);
  return classes.length > 0 ? classes.join(' ') : undefined;
}
