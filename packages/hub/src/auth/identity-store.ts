// Users, sessions, API tokens and role bindings in the hub's store. Routes,
// the auth plugin, the CLI and tests go through these functions; every write
// that changes who can do what takes an executor so the caller can put it in
// the same transaction as its audit record.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.js';
import { DEFAULT_LIFETIMES } from './credential-lifetimes.js';
import { isBuiltinRole } from './rbac.js';
import { newApiToken, randomSecret, sha256Hex } from './secrets.js';
import type { BuiltinRole, RoleBinding } from './types.js';

/** A Kysely executor: the store itself or a transaction on it. */
export type Exec = Kysely<Database>;

/** A session's idle lifetime by default (see ./credential-lifetimes.ts; the absolute one is checked on use). */
export const DEFAULT_SESSION_TTL_MS = DEFAULT_LIFETIMES.sessionIdleMs;

export interface UserView {
  id: string;
  username: string;
  createdAt: number;
  disabled: boolean;
  mustChangePassword: boolean;
}

/** True when the user still has a one-time password and its time is up. */
export const oneTimePasswordExpired = (u: UserRow, now = Date.now()): boolean =>
  u.must_change_password === 1 && u.password_expires_at !== null && u.password_expires_at <= now;

export const toUserView = (u: UserRow): UserView => ({
  id: u.id,
  username: u.username,
  createdAt: u.created_at,
  disabled: u.disabled === 1,
  mustChangePassword: u.must_change_password === 1,
});

export interface BindingView extends RoleBinding {
  userId: string;
  createdAt: number;
  createdBy: string;
  /** Just-in-time grants end by themselves at this time; null: until removed. */
  expiresAt: number | null;
}

type BindingRow = Database['role_bindings'];

function toBinding(row: BindingRow): BindingView | null {
  // A role name the hub no longer knows grants nothing rather than failing the request.
  if (!isBuiltinRole(row.role)) return null;
  return {
    id: row.id,
    userId: row.user_id,
    role: row.role,
    clusterPattern: row.cluster_pattern,
    namespacePattern: row.namespace_pattern,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
  };
}

export const findUserByName = (db: Exec, username: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();

export const findUserById = (db: Exec, id: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export async function listBindings(db: Exec, userId?: string): Promise<BindingView[]> {
  // Deterministic and broadest first ('*' sorts before names).
  let q = db
    .selectFrom('role_bindings')
    .selectAll()
    .orderBy('cluster_pattern')
    .orderBy('namespace_pattern')
    .orderBy('role')
    .orderBy('id');
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  // An ended just-in-time grant grants nothing, even before the sweeper removes it.
  const now = Date.now();
  q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  return (await q.execute()).map(toBinding).filter((b): b is BindingView => b !== null);
}

export interface NewUser {
  username: string;
  /** From hashPassword(), computed before any transaction: scrypt must not hold the store's one connection. */
  passwordHash: string;
  mustChangePassword?: boolean;
  /** With mustChangePassword: when the one-time password stops working. */
  passwordExpiresAt?: number | null;
  /** Optional first binding. */
  binding?: { role: BuiltinRole; clusterPattern: string; namespacePattern: string };
  createdBy: string;
}

export async function createUser(db: Exec, input: NewUser): Promise<{ user: UserRow; binding: BindingView | null }> {
  const user: UserRow = {
    id: randomUUID(),
    username: input.username,
    password_hash: input.passwordHash,
    created_at: Date.now(),
    disabled: 0,
    must_change_password: input.mustChangePassword ? 1 : 0,
    password_expires_at: input.mustChangePassword ? (input.passwordExpiresAt ?? null) : null,
  };
  await db.insertInto('users').values(user).execute();
  const binding = input.binding
    ? await createBinding(db, { userId: user.id, ...input.binding, createdBy: input.createdBy })
    : null;
  return { user, binding };
}

export async function createBinding(
  db: Exec,
  input: {
    userId: string;
    role: BuiltinRole;
    clusterPattern: string;
    namespacePattern: string;
    createdBy: string;
    expiresAt?: number;
  },
): Promise<BindingView> {
  const row: BindingRow = {
    id: randomUUID(),
    user_id: input.userId,
    role: input.role,
    cluster_pattern: input.clusterPattern,
    namespace_pattern: input.namespacePattern,
    created_at: Date.now(),
    created_by: input.createdBy,
    expires_at: input.expiresAt ?? null,
  };
  await db.insertInto('role_bindings').values(row).execute();
  return {
    id: row.id,
    userId: row.user_id,
    role: input.role,
    clusterPattern: row.cluster_pattern,
    namespacePattern: row.namespace_pattern,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
  };
}

/** Revokes every API token of a user that is not revoked yet. */
export async function revokeTokensOf(db: Exec, userId: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: Date.now() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Ends every session and revokes every API token of a user (disable, password reset). */
export async function killCredentials(db: Exec, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await revokeTokensOf(db, userId);
}

/**
 * Users that hold 'admin' on every cluster and namespace and are enabled —
 * the hub refuses changes that would leave none.
 */
export async function globalAdminIds(db: Exec): Promise<Set<string>> {
  const rows = await db
    .selectFrom('role_bindings')
    .innerJoin('users', 'users.id', 'role_bindings.user_id')
    .select(['role_bindings.user_id', 'role_bindings.id'])
    .where('users.disabled', '=', 0)
    .where('role_bindings.role', '=', 'account-admin')
    .where('role_bindings.cluster_pattern', '=', '*')
    .where('role_bindings.namespace_pattern', '=', '*')
    // A just-in-time grant ends by itself: it never counts as the administrator that must remain.
    .where('role_bindings.expires_at', 'is', null)
    .execute();
  return new Set(rows.map((r) => r.user_id));
}

export interface CreatedSession {
  /** The cookie value (never stored). */
  sessionId: string;
  idHash: string;
  csrfToken: string;
  expiresAt: number;
}

export async function createSession(db: Exec, userId: string, ttlMs: number): Promise<CreatedSession> {
  const sessionId = randomSecret(32);
  const now = Date.now();
  const created: CreatedSession = {
    sessionId,
    idHash: sha256Hex(sessionId),
    csrfToken: randomSecret(32),
    expiresAt: now + ttlMs,
  };
  // Housekeeping on the way: expired sessions are useless and only grow the table.
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
  await db
    .insertInto('sessions')
    .values({
      id_hash: created.idHash,
      user_id: userId,
      csrf_token: created.csrfToken,
      created_at: now,
      expires_at: created.expiresAt,
    })
    .execute();
  return created;
}

export interface ApiTokenView {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

export async function createApiToken(
  db: Exec,
  input: { userId: string; name: string; expiresInDays?: number | undefined },
): Promise<{ id: string; name: string; token: string; expiresAt: number | null }> {
  const token = newApiToken();
  const now = Date.now();
  const row = {
    id: randomUUID(),
    user_id: input.userId,
    name: input.name,
    token_hash: sha256Hex(token),
    created_at: now,
    last_used_at: null,
    expires_at: input.expiresInDays === undefined ? null : now + input.expiresInDays * 24 * 60 * 60 * 1000,
    revoked_at: null,
  };
  await db.insertInto('api_tokens').values(row).execute();
  return { id: row.id, name: row.name, token, expiresAt: row.expires_at };
}

export async function listApiTokens(db: Exec, userId: string): Promise<ApiTokenView[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  }));
}

/** Resolves a user's principal data (enabled users only). */
export async function loadUserWithBindings(
  db: Exec,
  userId: string,
): Promise<{ user: UserRow; bindings: BindingView[] } | null> {
  const user = await findUserById(db, userId);
  if (!user || user.disabled === 1) return null;
  return { user, bindings: await listBindings(db, userId) };
}

/**
 * These users' bindings that grant now (not removed, not ended), by content:
 * for closing sockets opened under others. Content, not ids: SSO bindings are
 * made afresh with new ids at every renewal.
 */
export async function grantingBindings(
  db: Exec,
  userIds: string[],
  now = Date.now(),
): Promise<{ userId: string; role: string; clusterPattern: string; namespacePattern: string }[]> {
  const out: { userId: string; role: string; clusterPattern: string; namespacePattern: string }[] = [];
  const CHUNK = 500;
  for (let i = 0; i < userIds.length; i += CHUNK) {
    const rows = await db
      .selectFrom('role_bindings')
      .select(['user_id', 'role', 'cluster_pattern', 'namespace_pattern'])
      .where('user_id', 'in', userIds.slice(i, i + CHUNK))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    for (const r of rows)
      out.push({
        userId: r.user_id,
        role: r.role,
        clusterPattern: r.cluster_pattern,
        namespacePattern: r.namespace_pattern,
      });
  }
  return out;
}

/** Which of these sessions (by id hash) and API tokens are valid now: for closing the sockets of the others. */
export async function validCredentials(
  db: Exec,
  sessionIdHashes: string[],
  tokenIds: string[],
  now = Date.now(),
): Promise<{ sessions: Set<string>; tokens: Set<string> }> {
  const sessions = new Set<string>();
  const tokens = new Set<string>();
  const CHUNK = 500;
  for (let i = 0; i < sessionIdHashes.length; i += CHUNK) {
    const rows = await db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('sessions.id_hash')
      .where('sessions.id_hash', 'in', sessionIdHashes.slice(i, i + CHUNK))
      .where('sessions.expires_at', '>', now)
      .where('users.disabled', '=', 0)
      .execute();
    for (const r of rows) sessions.add(r.id_hash);
  }
  for (let i = 0; i < tokenIds.length; i += CHUNK) {
    const rows = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select('api_tokens.id')
      .where('api_tokens.id', 'in', tokenIds.slice(i, i + CHUNK))
      .where('api_tokens.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', now)]))
      .where('users.disabled', '=', 0)
      .execute();
    for (const r of rows) tokens.add(r.id);
  }
  return { sessions, tokens };
}
