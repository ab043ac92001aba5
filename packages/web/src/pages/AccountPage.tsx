// The signed-in person: their role bindings (and, after single sign-on, the
// identity provider's groups and which binding each group gave), as GET /me
// answers them.
import { useMe } from '../data/session.js';

export function AccountPage() {
  const me = useMe();
  if (!me) return null;
  const fromGroup = new Map((me.sso?.bindings ?? []).map((b) => [b.id, b.group]));
  return (
    <section aria-label="Account">
      <h1>{me.user.username}</h1>
      {me.sso ? (
        <p className="hint">
          Signed in with single sign-on ({me.sso.issuer}). Groups at the last sign-in:{' '}
          <span aria-label="Groups">{me.sso.groups.length > 0 ? me.sso.groups.join(', ') : 'none'}</span>. Roles from
          groups are recomputed at every sign-in.
        </p>
      ) : (
        <p className="hint">Local account.</p>
      )}
      <table aria-label="Role bindings">
        <thead>
          <tr>
            <th>Role</th>
            <th>Cluster</th>
            <th>Namespace</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>
          {me.bindings.map((b) => (
            <tr key={b.id}>
              <td>{b.role}</td>
              <td>{b.cluster}</td>
              <td>{b.namespace}</td>
              <td>{fromGroup.has(b.id) ? `group ${fromGroup.get(b.id) ?? ''}` : 'granted by an administrator'}</td>
            </tr>
          ))}
          {me.bindings.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                No roles: ask an administrator, or for a group that maps to one.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
