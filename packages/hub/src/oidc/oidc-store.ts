// SSO rows in the hub's store: authorization requests in flight (used once),
// IdP identities, the bindings group mapping made, SSO sessions' ID tokens
// and CLI exchange codes. Functions take an executor so the service can put
// them in one transaction with the audit record.
import type { Exec } from '../auth/identity-store.js';
import type { Database } from '../store/schema.js';

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
