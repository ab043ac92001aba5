// What the console shows instead of content the user may not read: which
// permission is missing, where, and who can change that — not a 403 later.
import { describeScope, type Scope } from '../data/permissions.js';

export function MissingPermission({ what, permission, scope }: { what: string; permission: string; scope: Scope }) {
  return (
    <p className="hint" role="note" aria-label={`${what}: not available`}>
      {what}: not shown — you lack {permission} on {describeScope(scope)}. An admin grants it with a role that includes
      it (viewer, operator, auditor); the inventory-viewer role does not.
    </p>
  );
}
