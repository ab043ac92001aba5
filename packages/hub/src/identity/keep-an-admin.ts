// The keep-an-admin rule, checked inside the transaction that would break it:
// after a change, some enabled user must still hold account-admin on every
// cluster and namespace, or nobody could administer the hub.
import { problem, type ApiProblem } from '@wheelhouse/protocol';
import { globalAdminIds, listBindings, type Exec } from '../auth/identity-store.js';

/**
 * The keep-an-admin rule: a change after which no enabled user holds
 * account-admin on every cluster and namespace (nobody could administer the
 * hub) is refused.
 */
export async function keepAnAdmin(
  trx: Exec,
  change: { disableUser?: string; deleteBinding?: string },
): Promise<ApiProblem | null> {
  const before = await globalAdminIds(trx);
  if (before.size === 0) return null; // nothing to protect (the store was set up some other way)
  const after = new Set(before);
  if (change.disableUser !== undefined) after.delete(change.disableUser);
  if (change.deleteBinding !== undefined) {
    const b = await trx
      .selectFrom('role_bindings')
      .selectAll()
      .where('id', '=', change.deleteBinding)
      .executeTakeFirst();
    if (b) {
      const others = (await listBindings(trx, b.user_id)).filter(
        (o) => o.id !== b.id && o.role === 'account-admin' && o.clusterPattern === '*' && o.namespacePattern === '*',
      );
      if (others.length === 0) after.delete(b.user_id);
    }
  }
  if (after.size > 0) return null;
  return problem('conflict', {
    message: 'refused: no enabled user would hold account-admin on every cluster and namespace',
  });
}
