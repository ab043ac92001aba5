// Authentication and authorization for every route. An onRequest hook turns
// credentials into request.principal:
//   - `Authorization: Bearer whu_…` (API token; exempt from CSRF), else
//   - the `wh_session` cookie (browser session; unsafe methods must carry
//     `x-csrf-token` equal to the session's CSRF token).
// It never rejects a request for missing credentials itself — public routes
// (login, health) must keep working — routes call requireUser() or
// requirePermission(), which throw 401/403 with the API's error shape.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JsonObject } from '@wheelhouse/protocol';
import { AuditLog } from '../audit/audit-log.js';
import { apiError, notFound } from '../http/errors.js';
import { lockCheckedWrites } from '../store/advisory-locks.js';
import type { HubDb } from '../store/db.js';
import {
  DEFAULT_LIFETIMES,
  resolveLifetimes,
  sessionExpiry,
  type CredentialLifetimes,
} from './credential-lifetimes.js';
import {
  createBinding,
  createUser,
  globalAdminIds,
  killCredentials,
  loadUserWithBindings,
  oneTimePasswordExpired,
} from './identity-store.js';
import { hashPassword } from './password.js';
import { can, canSomewhere, describeScope } from './rbac.js';
import { API_TOKEN_PREFIX, generatePassword, safeEqual, sha256Hex } from './secrets.js';
import type { Permission, Principal, Scope } from './types.js';

export const SESSION_COOKIE = 'wh_session';
export const CSRF_HEADER = 'x-csrf-token';

/** What a denied check records besides permission and scope (routes with a domain action name it). */
export interface DenialContext {
  action?: 'shell.start' | 'shell.join' | 'logs.open' | 'logs.open_workload' | 'portforward.open';
  target?: { kind: string; namespace: string; name: string };
  params?: JsonObject;
  reason?: string;
  /**
   * What a 404 names when the caller cannot see the scope's cluster at all
   * (default: the cluster): routes reached by id (an action) say "action <id>",
   * so the answer is the same as for an id that does not exist.
   */
  hiddenAs?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /**
     * Throws HttpError 401 (no/invalid credentials) or 403 naming permission and scope (and audits the denial).
     * A caller who cannot view anything in the scope's cluster gets 404, exactly as for a cluster that does not
     * exist: a 403 would confirm the name.
     */
    requirePermission(
      request: FastifyRequest,
      permission: Permission,
      scope: Scope,
      denial?: DenialContext,
    ): Promise<Principal>;
    /**
     * Any signed-in user; throws 401, or 403 password_change_required while a
     * one-time password is in use (unless allowPasswordChange).
     */
    requireUser(request: FastifyRequest, opts?: { allowPasswordChange?: boolean }): Principal;
    can(principal: Principal, permission: Permission, scope: Scope): boolean;
  }
  interface FastifyContextConfig {
    /** false: no CSRF check on this route (login: there is no session yet). */
    csrf?: boolean;
  }
}

export interface AuthDeps {
  db: HubDb;
  audit: AuditLog;
  /** Session idle and absolute lifetimes (./credential-lifetimes.ts). */
  lifetimes?: CredentialLifetimes;
  /**
   * SSO sessions whose ID token expired are renewed (or ended) before the
   * request goes on (../oidc/sso-sessions.ts): null, or why the session is over.
   */
  ssoSessions?: { ensureFresh(sessionIdHash: string): Promise<string | null> };
  /**
   * With SSO: each authenticated person's IdP groups are read from the store,
   * so what this request makes the agent do impersonates them with the groups
   * of now, whichever replica saw the sign-in (../oidc/idp-groups.ts).
   */
  idpGroups?: { prime(userId: string, username: string): Promise<void> };
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** last_used_at / expiry refreshes are written at most this often per credential. */
const TOUCH_INTERVAL_MS = 60_000;
const BEARER_RE = /^Bearer[ \t]+([A-Za-z0-9_-]{1,256})[ \t]*$/i;

export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  const { db, audit } = deps;
  const lifetimes = deps.lifetimes ?? resolveLifetimes();
  // Why a request is unauthenticated, for the 401 message.
  const failures = new WeakMap<FastifyRequest, string>();

  async function fromToken(header: string, request: FastifyRequest): Promise<Principal | null> {
    const token = BEARER_RE.exec(header)?.[1];
    if (!token?.startsWith(API_TOKEN_PREFIX)) {
      failures.set(request, `the Authorization header must be "Bearer ${API_TOKEN_PREFIX}…"`);
      return null;
    }
    const now = Date.now();
    const row = await db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      failures.set(request, 'the API token is invalid, revoked or expired');
      return null;
    }
    const loaded = await loadUserWithBindings(db, row.user_id);
    if (!loaded) {
      failures.set(request, 'the API token is invalid, revoked or expired');
      return null;
    }
    if (row.last_used_at === null || now - row.last_used_at > TOUCH_INTERVAL_MS) {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    return {
      userId: loaded.user.id,
      username: loaded.user.username,
      via: 'token',
      bindings: loaded.bindings,
      mustChangePassword: loaded.user.must_change_password === 1,
      tokenId: row.id,
      ...(row.expires_at !== null ? { credentialEndsAt: row.expires_at } : {}),
    };
  }

  async function fromSession(cookie: string, request: FastifyRequest): Promise<Principal | null> {
    const now = Date.now();
    const idHash = sha256Hex(cookie);
    const session = await db
      .selectFrom('sessions')
      .leftJoin('oidc_sessions', 'oidc_sessions.session_id_hash', 'sessions.id_hash')
      .selectAll('sessions')
      .select('oidc_sessions.id_token_expires_at')
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    // Idle expiry (expires_at) and the absolute lifetime since sign-in, whatever expires_at says.
    const live =
      session !== undefined && session.expires_at > now && now - session.created_at < lifetimes.sessionMaxAgeMs;
    // An SSO session lives as long as the provider vouches for it: renewed (groups applied again) or ended here.
    if (live && session.id_token_expires_at !== null && session.id_token_expires_at <= now && deps.ssoSessions) {
      const over = await deps.ssoSessions.ensureFresh(idHash);
      if (over !== null) {
        failures.set(request, over);
        return null;
      }
    }
    const loaded = live ? await loadUserWithBindings(db, session.user_id) : null;
    if (!session || !loaded) {
      failures.set(request, 'the session has expired or was ended; sign in again');
      return null;
    }
    // Sliding expiry, written at most once a minute, capped at the absolute lifetime.
    const next = sessionExpiry(session.created_at, now, lifetimes);
    if (next > session.expires_at + TOUCH_INTERVAL_MS) {
      await db.updateTable('sessions').set({ expires_at: next }).where('id_hash', '=', idHash).execute();
    }
    return {
      userId: loaded.user.id,
      username: loaded.user.username,
      via: 'session',
      bindings: loaded.bindings,
      mustChangePassword: loaded.user.must_change_password === 1,
      sessionIdHash: idHash,
      csrfToken: session.csrf_token,
      credentialEndsAt: session.created_at + lifetimes.sessionMaxAgeMs,
    };
  }

  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      // An Authorization header wins over a cookie, and a bad one is not rescued by the cookie.
      request.principal = await fromToken(authorization, request);
      if (request.principal) await deps.idpGroups?.prime(request.principal.userId, request.principal.username);
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie === undefined || cookie === '') return;
    if (cookie.length > 256) {
      failures.set(request, 'the session cookie is malformed; sign in again');
      return;
    }
    const principal = await fromSession(cookie, request);
    request.principal = principal;
    if (principal) await deps.idpGroups?.prime(principal.userId, principal.username);
    if (principal?.csrfToken === undefined || !UNSAFE_METHODS.has(request.method)) return;
    if (request.routeOptions.config.csrf === false) return;
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, principal.csrfToken)) {
      throw apiError('csrf', { header: CSRF_HEADER, method: request.method });
    }
  });

  function requireUser(request: FastifyRequest, opts: { allowPasswordChange?: boolean } = {}): Principal {
    const principal = request.principal;
    if (!principal) {
      throw apiError('unauthenticated', {
        message: failures.get(request) ?? 'sign in or send "Authorization: Bearer <API token>"',
      });
    }
    if (principal.mustChangePassword && opts.allowPasswordChange !== true) {
      throw apiError('password_change_required');
    }
    return principal;
  }

  app.decorate('requireUser', requireUser);
  app.decorate('can', (principal: Principal, permission: Permission, scope: Scope): boolean =>
    can(principal.bindings, permission, scope),
  );
  app.decorate(
    'requirePermission',
    async (
      request: FastifyRequest,
      permission: Permission,
      scope: Scope,
      denial: DenialContext = {},
    ): Promise<Principal> => {
      const principal = requireUser(request);
      if (can(principal.bindings, permission, scope)) return principal;
      const scopeBody: Record<string, string> = {};
      if (scope.cluster !== undefined) scopeBody.cluster = scope.cluster;
      if (scope.namespace !== undefined) scopeBody.namespace = scope.namespace;
      await audit.record({
        actor: principal.username,
        action: denial.action ?? 'access',
        clusterId: scope.cluster ?? null,
        target: denial.target ?? null,
        params: denial.params ?? null,
        reason: denial.reason ?? null,
        outcome: 'denied',
        detail: {
          permission,
          scope: scopeBody,
          method: request.method,
          route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
        },
      });
      if (scope.cluster !== undefined && !canSomewhere(principal.bindings, 'view', { cluster: scope.cluster })) {
        throw notFound(denial.hiddenAs ?? `cluster "${scope.cluster}"`);
      }
      throw apiError(
        'forbidden',
        { user: principal.username, permission, scope: describeScope(scope) },
        { permission, scope: scopeBody },
      );
    },
  );
}

/**
 * First start: creates the 'admin' user (account-admin on every cluster) and
 * returns its one-time password; null if users exist. Later starts: when every
 * hub-wide admin is locked out by an expired one-time password (nobody signed
 * in within its lifetime), issues 'admin' a new one (renewed: true) rather than
 * leaving the hub without a way in.
 */
export async function ensureAdmin(
  db: HubDb,
  initialPassword?: string,
  opts: { oneTimePasswordMs?: number } = {},
): Promise<{ username: string; password: string; renewed?: boolean } | null> {
  const ttl = opts.oneTimePasswordMs ?? DEFAULT_LIFETIMES.oneTimePasswordMs;
  const existing = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (existing) return renewLockedOutAdmin(db, initialPassword, ttl);
  // A bootstrap password from the environment (the Helm chart's Secret) is still one-time: it must be changed.
  const password = initialPassword && initialPassword.length >= 10 ? initialPassword : generatePassword();
  const passwordHash = await hashPassword(password); // before the transaction: scrypt must not hold the connection
  const audit = new AuditLog(db);
  return db.transaction().execute(async (trx) => {
    // Checked again inside the transaction: two hubs starting on one store create one admin
    // (on PostgreSQL the lock makes the second wait for the first to commit).
    await lockCheckedWrites(trx);
    if (await trx.selectFrom('users').select('id').limit(1).executeTakeFirst()) return null;
    const { user } = await createUser(trx, {
      username: 'admin',
      passwordHash,
      mustChangePassword: true,
      passwordExpiresAt: Date.now() + ttl,
      createdBy: 'system',
    });
    await createBinding(trx, {
      userId: user.id,
      role: 'account-admin',
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 'system',
    });
    await audit.record(
      {
        actor: 'system',
        action: 'user.create',
        target: { kind: 'User', namespace: '', name: 'admin' },
        outcome: 'succeeded',
        detail: { role: 'account-admin', cluster: '*', namespace: '*', oneTimePassword: true },
      },
      trx,
    );
    return { username: 'admin', password };
  });
}

async function renewLockedOutAdmin(
  db: HubDb,
  initialPassword: string | undefined,
  ttl: number,
): Promise<{ username: string; password: string; renewed: true } | null> {
  const ids = [...(await globalAdminIds(db))];
  if (ids.length === 0) return null;
  const admins = await db.selectFrom('users').selectAll().where('id', 'in', ids).orderBy('username').execute();
  if (admins.some((u) => !oneTimePasswordExpired(u))) return null;
  const user = admins.find((u) => u.username === 'admin') ?? admins[0];
  if (!user) return null;
  const password = initialPassword && initialPassword.length >= 10 ? initialPassword : generatePassword();
  const passwordHash = await hashPassword(password);
  const audit = new AuditLog(db);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, must_change_password: 1, password_expires_at: Date.now() + ttl })
      .where('id', '=', user.id)
      .execute();
    await killCredentials(trx, user.id);
    await audit.record(
      {
        actor: 'system',
        action: 'user.update',
        target: { kind: 'User', namespace: '', name: user.username },
        outcome: 'succeeded',
        detail: { userId: user.id, passwordReset: true },
      },
      trx,
    );
  });
  return { username: user.username, password, renewed: true };
}
