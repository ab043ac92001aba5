// SSO rows in the hub's store: authorization requests in flight (used once),
// IdP identities, the bindings group mapping made, SSO sessions' ID tokens
// and CLI exchange codes. Functions take an executor so the service can put
// them in one transaction with the audit record.
import { createBinding, type Exec } from '../auth/identity-store.js';
import type { Database } from '../store/schema.js';
import type { MappedBinding } from './group-mapping.js';

export type LoginAttempt = Database['oidc_login_attempts'];
export type OidcIdentity = Database['oidc_identities'];

export async function saveAttempt(db: Exec, attempt: LoginAttempt): Promise<void> {
  // Housekeeping on the way: abandoned attempts are useless.
  await db.deleteFrom('oidc_login_attempts').where('expires_at', '<=', attempt.created_at).execute();
  await db.insertInto('oidc_login_attempts').values(attempt).execute();
}

/** Deletes and returns the attempt: a state is good for one callback, whatever its outcome. */
export async function takeAttempt(db: Exec, stateHash: string): Promise<LoginAttempt | undefined> {
  return db.deleteFrom('oidc_login_attempts').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}

export const findIdentity = (db: Exec, issuer: string, subject: string): Promise<OidcIdentity | undefined> =>
  db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();

export const identityOfUser = (db: Exec, userId: string): Promise<OidcIdentity | undefined> =>
  db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('last_sign_in_at', 'desc')
    .executeTakeFirst();

export async function ssoBindingsOf(db: Exec, userId: string): Promise<{ bindingId: string; group: string }[]> {
  const rows = await db
    .selectFrom('sso_bindings')
    .select(['binding_id', 'group_name'])
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => ({ bindingId: r.binding_id, group: r.group_name }));
}

/** Removes the bindings group mapping made for this user (manual grants stay). */
export async function dropSsoBindings(db: Exec, userId: string): Promise<void> {
  const ids = (await ssoBindingsOf(db, userId)).map((b) => b.bindingId);
  if (ids.length === 0) return;
  await db.deleteFrom('role_bindings').where('id', 'in', ids).execute(); // sso_bindings rows cascade
}

/** The groups claim as a list of names (at most 500), or null when it is not one. */
export function groupsFromClaims(claims: Record<string, unknown>, groupsClaim: string): string[] | null {
  const raw = claims[groupsClaim] ?? [];
  if (!Array.isArray(raw) || !raw.every((g): g is string => typeof g === 'string')) return null;
  return raw.slice(0, 500);
}

/**
 * The provider's groups decide SSO access afresh (each sign-in, each session
 * renewal): the bindings group mapping made last time go, these come.
 * Returns the (role, cluster, namespace) the user had and no longer has.
 */
export async function replaceSsoBindings(
  db: Exec,
  userId: string,
  bindings: readonly MappedBinding[],
): Promise<{ removed: { role: string; cluster: string; namespace: string }[] }> {
  const before = await db
    .selectFrom('sso_bindings')
    .innerJoin('role_bindings', 'role_bindings.id', 'sso_bindings.binding_id')
    .select(['role_bindings.role', 'role_bindings.cluster_pattern', 'role_bindings.namespace_pattern'])
    .where('sso_bindings.user_id', '=', userId)
    .execute();
  const key = (role: string, cluster: string, namespace: string): string => `${role}\u0000${cluster}\u0000${namespace}`;
  const kept = new Set(bindings.map((b) => key(b.role, b.clusterPattern, b.namespacePattern)));
  await dropSsoBindings(db, userId);
  for (const b of bindings) {
    const made = await createBinding(db, {
      userId,
      role: b.role,
      clusterPattern: b.clusterPattern,
      namespacePattern: b.namespacePattern,
      createdBy: `sso:${b.group}`,
    });
    await db.insertInto('sso_bindings').values({ binding_id: made.id, user_id: userId, group_name: b.group }).execute();
  }
  return {
    removed: before
      .filter((r) => !kept.has(key(r.role, r.cluster_pattern, r.namespace_pattern)))
      .map((r) => ({ role: r.role, cluster: r.cluster_pattern, namespace: r.namespace_pattern })),
  };
}

export async function saveSsoSession(db: Exec, row: Database['oidc_sessions']): Promise<void> {
  // Sessions that ended (logout, expiry housekeeping) leave their ID token behind: drop those.
  await db
    .deleteFrom('oidc_sessions')
    .where('session_id_hash', 'not in', db.selectFrom('sessions').select('id_hash'))
    .execute();
  await db.insertInto('oidc_sessions').values(row).execute();
}

export const ssoSessionToken = async (db: Exec, sessionIdHash: string): Promise<string | undefined> =>
  (
    await db
      .selectFrom('oidc_sessions')
      .select('id_token')
      .where('session_id_hash', '=', sessionIdHash)
      .executeTakeFirst()
  )?.id_token;

export async function saveCliCode(db: Exec, row: Database['oidc_cli_codes']): Promise<void> {
  await db.deleteFrom('oidc_cli_codes').where('expires_at', '<=', row.created_at).execute();
  await db.insertInto('oidc_cli_codes').values(row).execute();
}

export const takeCliCode = (db: Exec, codeHash: string): Promise<Database['oidc_cli_codes'] | undefined> =>
  db.deleteFrom('oidc_cli_codes').where('code_hash', '=', codeHash).returningAll().executeTakeFirst();
