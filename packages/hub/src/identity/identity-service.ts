// Who may sign in and who may do what: sign-in and sign-out, password changes,
// API tokens, users and role bindings. Every change that affects who can do
// what is written in one transaction with its audit record; refusals come back
// as catalog problems (the routes in ./identity-routes.ts answer them).
import { problem, type ApiProblem } from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import {
  createApiToken,
  createBinding,
  createSession,
  createUser,
  findUserById,
  findUserByName,
  killCredentials,
  listApiTokens,
  oneTimePasswordExpired,
  revokeTokensOf,
  listBindings,
  toUserView,
  type ApiTokenView,
  type BindingView,
  type CreatedSession,
  type UserView,
} from '../auth/identity-store.js';
import { resolveLifetimes, type CredentialLifetimes } from '../auth/credential-lifetimes.js';
import { LoginThrottle, addressKey, type SignInThrottle } from '../auth/login-throttle.js';
import { GATE_BUSY, PasswordCheckGate } from '../auth/password-check-gate.js';
import { DenialDigest } from '../audit/denial-digest.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../auth/password.js';
import { generatePassword, sha256Hex } from '../auth/secrets.js';
import type { BuiltinRole, Principal } from '../auth/types.js';
import { fail, inTransaction, ok, type Result } from '../service-result.js';
import type { HubDb } from '../store/db.js';
import { keepAnAdmin } from './keep-an-admin.js';
import { SocketRegistry } from '../http/socket-registry.js';
import { localSignInAllowed, type LocalAccountsPolicy } from '../oidc/oidc-settings.js';
import type { UserRow } from '../store/schema.js';

export interface IdentityServiceDeps {
  db: HubDb;
  audit: AuditLog;
  /** Session, API token and one-time password lifetimes (../auth/credential-lifetimes.ts). */
  lifetimes?: CredentialLifetimes;
  /** Failed sign-in throttling (default: 5 failures per username and address in 15 min lock it for 1 min, doubling). */
  loginThrottle?: SignInThrottle;
  /** With SSO, password sign-in may be limited to a break-glass administrator (default: every local account). */
  localAccounts?: LocalAccountsPolicy;
  /** Open WebSockets by credential: revoking a credential closes what it opened. */
  sockets?: SocketRegistry;
  /** The global cap on concurrent password checks (default 4 running, 16 waiting). */
  passwordChecks?: PasswordCheckGate;
  onError?: (err: unknown, msg: string) => void;
}

interface Refusal {
  username: string;
  ip: string;
  reason: 'throttled' | 'busy';
}

const userTarget = (username: string): { kind: string; namespace: string; name: string } => ({
  kind: 'User',
  namespace: '',
  name: username,
});

export interface SignedIn {
  user: UserRow;
  session: CreatedSession;
}

export interface NewUserRequest {
  username: string;
  password?: string;
  role?: BuiltinRole;
  cluster?: string;
  namespace?: string;
}

export interface CreatedUser {
  user: UserView;
  bindings: BindingView[];
  /** The generated one-time password (when none was given), shown once. */
  password?: string;
}

export class IdentityService {
  private readonly db: HubDb;
  private readonly audit: AuditLog;
  private readonly lifetimes: CredentialLifetimes;
  private readonly throttle: SignInThrottle;
  private readonly sockets: SocketRegistry;
  private readonly passwordChecks: PasswordCheckGate;
  /** Throttled and busy sign-ins: one audit row per address (busy: per hub) and minute, with a count. */
  private readonly refusals: DenialDigest<Refusal>;
  private readonly onError: (err: unknown, msg: string) => void;

  private readonly localAccounts: LocalAccountsPolicy | undefined;

  constructor(deps: IdentityServiceDeps) {
    this.localAccounts = deps.localAccounts;
    this.sockets = deps.sockets ?? new SocketRegistry();
    this.passwordChecks = deps.passwordChecks ?? new PasswordCheckGate();
    this.onError = deps.onError ?? (() => undefined);
    this.refusals = new DenialDigest<Refusal>({
      flush: (r, repeated) => this.writeRefusal(r, repeated),
      onError: (err) => this.onError(err, 'auditing refused sign-ins failed'),
    });
    this.db = deps.db;
    this.audit = deps.audit;
    this.lifetimes = deps.lifetimes ?? resolveLifetimes();
    this.throttle = deps.loginThrottle ?? new LoginThrottle();
  }

  // ---- authentication

  /**
   * Checks a password sign-in and opens a session (the previous one, if the
   * browser sent it, ends). Unknown user, wrong password and disabled user get
   * the same answer after the same work.
   */
  async login(input: {
    username: string;
    password: string;
    ip: string;
    previousSession?: string;
  }): Promise<Result<SignedIn>> {
    const username = input.username.toLowerCase();
    const { ip } = input;
    if (!localSignInAllowed(this.localAccounts, username)) {
      await this.audit.record({
        actor: username,
        action: 'auth.login',
        outcome: 'failed',
        detail: { reason: 'local_accounts_disabled', ip },
      });
      return fail(problem('local_accounts_disabled', { username }));
    }
    const refused = await this.throttled(username, ip);
    if (refused) return fail(refused);
    const user = await findUserByName(this.db, username);
    // Unknown users cost the same work (and the same slot) as known ones.
    const passwordOk = await this.passwordChecks.run(() =>
      user ? verifyPassword(input.password, user.password_hash) : verifyAgainstDummy(input.password),
    );
    if (passwordOk === GATE_BUSY) return fail(this.busy(username, ip));
    const failure = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : user.disabled === 1 ? 'disabled' : null;
    if (failure !== null || !user) {
      await this.throttle.failed(username, ip);
      await this.audit.record({
        actor: username,
        action: 'auth.login',
        outcome: 'failed',
        detail: { reason: failure ?? 'unknown_user', ip },
      });
      return fail(problem('invalid_credentials'));
    }
    await this.throttle.succeeded(username, ip);
    // The right one-time password, but too late: say so precisely (the caller proved they know it).
    if (oneTimePasswordExpired(user)) return fail(await this.oneTimePasswordExpired(user, user.username, ip));
    const rehash = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;
    const session = await this.db.transaction().execute(async (trx) => {
      if (rehash !== null)
        await trx.updateTable('users').set({ password_hash: rehash }).where('id', '=', user.id).execute();
      // A fresh session id on every sign-in (no fixation); the old one ends.
      if (input.previousSession)
        await trx.deleteFrom('sessions').where('id_hash', '=', sha256Hex(input.previousSession)).execute();
      const created = await createSession(trx, user.id, this.lifetimes.sessionIdleMs);
      await this.audit.record(
        { actor: user.username, action: 'auth.login', outcome: 'succeeded', detail: { ip } },
        trx,
      );
      return created;
    });
    return ok({ user, session });
  }

  /**
   * The throttle's verdict before any password work: the address's budget
   * over all usernames, then this username from this address. A refusal is
   * audited once per address and minute (repeats are counted in a summary).
   */
  private async throttled(username: string, ip: string): Promise<ApiProblem | null> {
    const byAddress = await this.throttle.addressRetryAfterMs(ip);
    const byUser = byAddress > 0 ? 0 : await this.throttle.retryAfterMs(username, ip);
    if (byAddress === 0 && byUser === 0) return null;
    const seconds = Math.ceil(Math.max(byAddress, byUser) / 1000);
    this.noteRefusal({ username, ip, reason: 'throttled' }, `throttled\u0000${addressKey(ip)}`);
    return byAddress > 0
      ? problem('too_many_failures_from_address', { seconds }, { retryAfter: seconds })
      : problem('too_many_attempts', { username, seconds }, { retryAfter: seconds });
  }

  /**
   * Re-checks a signed-in user's password (password change, token creation)
   * under the same throttle and cap as sign-in: a stolen session must not
   * become a password-guessing oracle. A wrong password counts as a failure.
   */
  private async checkPassword(user: UserRow, password: string, ip: string): Promise<boolean | ApiProblem> {
    const refused = await this.throttled(user.username, ip);
    if (refused) return refused;
    const ok = await this.passwordChecks.run(() => verifyPassword(password, user.password_hash));
    if (ok === GATE_BUSY) return this.busy(user.username, ip);
    if (!ok) await this.throttle.failed(user.username, ip);
    return ok;
  }

  /** Every password-check slot is taken: refuse now (503, retry in a second) rather than queue without bound. */
  private busy(username: string, ip: string): ApiProblem {
    this.noteRefusal({ username, ip, reason: 'busy' }, 'busy');
    return problem('sign_in_busy', undefined, { retryAfter: 1 });
  }

  private noteRefusal(r: Refusal, key: string): void {
    if (this.refusals.admit(key, r))
      this.writeRefusal(r, 0).catch((err: unknown) => this.onError(err, 'auditing a refused sign-in failed'));
  }

  private async writeRefusal(r: Refusal, repeated: number): Promise<void> {
    await this.audit.record({
      actor: r.username,
      action: 'auth.login',
      outcome: 'failed',
      detail: { reason: r.reason, ip: r.ip, ...(repeated > 0 ? { repeated } : {}) },
    });
  }

  /** Writes the pending summaries of refused sign-ins (hub shutdown). */
  close(): Promise<void> {
    return this.refusals.close();
  }

  async logout(principal: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (principal.sessionIdHash !== undefined)
        await trx.deleteFrom('sessions').where('id_hash', '=', principal.sessionIdHash).execute();
      await this.audit.record(
        { actor: principal.username, action: 'auth.logout', outcome: 'succeeded', detail: { via: principal.via } },
        trx,
      );
    });
    if (principal.sessionIdHash !== undefined) this.sockets.closeSession(principal.sessionIdHash, 'signed out');
  }

  /**
   * Changes the caller's password, ends their other sessions and revokes all
   * their API tokens (whoever knew the old password may have made one), and
   * closes those credentials' sockets.
   */
  async changePassword(principal: Principal, current: string, next: string, ip: string): Promise<Result<void>> {
    const user = await findUserById(this.db, principal.userId);
    if (!user) return fail(problem('unauthenticated', { message: 'the account no longer exists' }));
    if (oneTimePasswordExpired(user)) return fail(await this.oneTimePasswordExpired(user, principal.username, null));
    const verdict = await this.checkPassword(user, current, ip);
    if (typeof verdict !== 'boolean') return fail(verdict);
    if (!verdict) {
      await this.audit.record({
        actor: principal.username,
        action: 'auth.password_change',
        target: userTarget(user.username),
        outcome: 'failed',
        detail: { reason: 'wrong_password' },
      });
      return fail(problem('wrong_current_password'));
    }
    if (next === current) {
      return fail(
        problem(
          'invalid_request',
          { message: 'body.next: must differ from the current password' },
          { issues: [{ path: 'body.next', message: 'must differ from the current password' }] },
        ),
      );
    }
    const hash = await hashPassword(next);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ password_hash: hash, must_change_password: 0, password_expires_at: null })
        .where('id', '=', user.id)
        .execute();
      // Other browsers signed in with the old password are signed out, and every API token goes.
      await trx
        .deleteFrom('sessions')
        .where('user_id', '=', user.id)
        .where('id_hash', '!=', principal.sessionIdHash ?? '')
        .execute();
      await revokeTokensOf(trx, user.id);
      await this.audit.record(
        {
          actor: principal.username,
          action: 'auth.password_change',
          target: userTarget(user.username),
          outcome: 'succeeded',
        },
        trx,
      );
    });
    this.sockets.closeUser(user.id, 'the password was changed', { sessionIdHash: principal.sessionIdHash });
    return ok(undefined);
  }

  /** Audits and describes a refused expired one-time password (at sign-in with the address, or a password change). */
  private async oneTimePasswordExpired(user: UserRow, actor: string, ip: string | null): Promise<ApiProblem> {
    const reason = 'one_time_password_expired';
    const target = userTarget(user.username);
    if (ip === null)
      await this.audit.record({ actor, action: 'auth.password_change', target, outcome: 'failed', detail: { reason } });
    else await this.audit.record({ actor, action: 'auth.login', target, outcome: 'failed', detail: { reason, ip } });
    return problem('one_time_password_expired', {
      username: user.username,
      expiredAt: new Date(user.password_expires_at ?? 0).toISOString(),
    });
  }

  // ---- API tokens

  /**
   * Creates an API token for the caller after re-checking their password (a
   * stolen session must not turn into a long-lived token). It expires after
   * expiresInDays, by default the hub's default, at most its maximum.
   */
  async createToken(
    p: Principal,
    input: { name: string; expiresInDays?: number | undefined; password: string; ip: string },
  ): Promise<Result<{ id: string; name: string; token: string; expiresAt: number | null }>> {
    const { tokenDefaultDays, tokenMaxDays } = this.lifetimes;
    const days = input.expiresInDays ?? tokenDefaultDays;
    if (days > tokenMaxDays) {
      const message = `must be at most ${tokenMaxDays} (the hub's maximum token lifetime in days)`;
      return fail(
        problem(
          'invalid_request',
          { message: `body.expiresInDays: ${message}` },
          { issues: [{ path: 'body.expiresInDays', message }] },
        ),
      );
    }
    const user = await findUserById(this.db, p.userId);
    if (!user) return fail(problem('unauthenticated', { message: 'the account no longer exists' }));
    const verdict = await this.checkPassword(user, input.password, input.ip);
    if (typeof verdict !== 'boolean') return fail(verdict);
    if (!verdict) {
      await this.audit.record({
        actor: p.username,
        action: 'token.create',
        target: userTarget(p.username),
        outcome: 'failed',
        detail: { reason: 'wrong_password', ip: input.ip },
      });
      return fail(problem('reauthentication_failed'));
    }
    const created = await this.db.transaction().execute(async (trx) => {
      const t = await createApiToken(trx, { userId: p.userId, name: input.name, expiresInDays: days });
      await this.audit.record(
        {
          actor: p.username,
          action: 'token.create',
          target: userTarget(p.username),
          outcome: 'succeeded',
          detail: { tokenId: t.id, name: t.name, expiresAt: t.expiresAt },
        },
        trx,
      );
      return t;
    });
    return ok(created);
  }

  listTokens(userId: string): Promise<ApiTokenView[]> {
    return listApiTokens(this.db, userId);
  }

  /** Revokes a token (idempotent). Someone else's token is "not found" unless the caller administers the hub. */
  async revokeToken(p: Principal, id: string, callerIsAdmin: boolean): Promise<Result<void>> {
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(['api_tokens.id', 'api_tokens.user_id', 'api_tokens.name', 'api_tokens.revoked_at', 'users.username'])
      .where('api_tokens.id', '=', id)
      .executeTakeFirst();
    if (!row || (row.user_id !== p.userId && !callerIsAdmin))
      return fail(problem('not_found', { what: `API token ${id}` }));
    if (row.revoked_at !== null) return ok(undefined);
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('api_tokens').set({ revoked_at: Date.now() }).where('id', '=', row.id).execute();
      await this.audit.record(
        {
          actor: p.username,
          action: 'token.revoke',
          target: userTarget(row.username),
          outcome: 'succeeded',
          detail: { tokenId: row.id, name: row.name },
        },
        trx,
      );
    });
    this.sockets.closeToken(row.id, 'the API token was revoked');
    return ok(undefined);
  }

  // ---- users

  async listUsers(): Promise<{ user: UserView; bindings: BindingView[] }[]> {
    const users = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    const bindings = await listBindings(this.db);
    return users.map((u) => ({ user: toUserView(u), bindings: bindings.filter((b) => b.userId === u.id) }));
  }

  /** Creates a local user, optionally with a first binding; without a password a one-time one is generated. */
  async createUser(admin: Principal, req: NewUserRequest): Promise<Result<CreatedUser>> {
    const { username, role } = req;
    const generated = req.password === undefined ? generatePassword() : undefined;
    // Before the transaction: scrypt must not hold the store's one connection.
    const passwordHash = await hashPassword(req.password ?? generated ?? '');
    const binding = role
      ? { role, clusterPattern: req.cluster ?? '*', namespacePattern: req.namespace ?? '*' }
      : undefined;
    const created = await inTransaction(this.db, async (trx, abort) => {
      if (await findUserByName(trx, username))
        abort(problem('conflict', { message: `user '${username}' already exists` }));
      const out = await createUser(trx, {
        username,
        passwordHash,
        mustChangePassword: generated !== undefined,
        passwordExpiresAt: Date.now() + this.lifetimes.oneTimePasswordMs,
        ...(binding ? { binding } : {}),
        createdBy: admin.username,
      });
      await this.audit.record(
        {
          actor: admin.username,
          action: 'user.create',
          target: userTarget(username),
          outcome: 'succeeded',
          detail: {
            userId: out.user.id,
            oneTimePassword: generated !== undefined,
            ...(binding
              ? { role: binding.role, cluster: binding.clusterPattern, namespace: binding.namespacePattern }
              : {}),
          },
        },
        trx,
      );
      return out;
    });
    if (!created.ok) return created;
    return ok({
      user: toUserView(created.value.user),
      bindings: created.value.binding ? [created.value.binding] : [],
      ...(generated !== undefined ? { password: generated } : {}),
    });
  }

  /**
   * Disables/enables a user or resets their password. Disabling ends their
   * sessions and revokes their API tokens; a reset ends their sessions and
   * makes the new password one-time.
   */
  async updateUser(
    admin: Principal,
    id: string,
    change: { disabled?: boolean; password?: string },
  ): Promise<Result<UserView>> {
    const { disabled, password } = change;
    const hash = password === undefined ? undefined : await hashPassword(password);
    const updated = await inTransaction(this.db, async (trx, abort) => {
      const user = (await findUserById(trx, id)) ?? abort(problem('not_found', { what: `user ${id}` }));
      if (disabled === true && user.disabled === 0) {
        if (user.id === admin.userId) abort(problem('conflict', { message: 'refused: you cannot disable yourself' }));
        const refused = await keepAnAdmin(trx, { disableUser: user.id });
        if (refused) abort(refused);
      }
      await trx
        .updateTable('users')
        .set({
          ...(disabled !== undefined ? { disabled: disabled ? 1 : 0 } : {}),
          ...(hash !== undefined
            ? {
                password_hash: hash,
                must_change_password: 1,
                password_expires_at: Date.now() + this.lifetimes.oneTimePasswordMs,
              }
            : {}),
        })
        .where('id', '=', user.id)
        .execute();
      // Disabling and a password reset both end every session and revoke every API token.
      if (disabled === true || hash !== undefined) await killCredentials(trx, user.id);
      await this.audit.record(
        {
          actor: admin.username,
          action: 'user.update',
          target: userTarget(user.username),
          outcome: 'succeeded',
          detail: {
            userId: user.id,
            ...(disabled !== undefined ? { disabled } : {}),
            ...(hash !== undefined ? { passwordReset: true } : {}),
          },
        },
        trx,
      );
      return (await findUserById(trx, user.id)) ?? abort(problem('not_found', { what: `user ${id}` }));
    });
    if (!updated.ok) return updated;
    if (disabled === true) this.sockets.closeUser(id, 'the user was disabled');
    else if (hash !== undefined) this.sockets.closeUser(id, 'the password was reset by an administrator');
    return ok(toUserView(updated.value));
  }

  /** Deletes a user; sessions, tokens and bindings go with it (foreign keys cascade). */
  async deleteUser(admin: Principal, id: string): Promise<Result<void>> {
    const deleted = await inTransaction(this.db, async (trx, abort) => {
      const user = (await findUserById(trx, id)) ?? abort(problem('not_found', { what: `user ${id}` }));
      if (user.id === admin.userId) abort(problem('conflict', { message: 'refused: you cannot delete yourself' }));
      const refused = await keepAnAdmin(trx, { disableUser: user.id });
      if (refused) abort(refused);
      await trx.deleteFrom('users').where('id', '=', user.id).execute();
      await this.audit.record(
        {
          actor: admin.username,
          action: 'user.delete',
          target: userTarget(user.username),
          outcome: 'succeeded',
          detail: { userId: user.id },
        },
        trx,
      );
    });
    if (deleted.ok) this.sockets.closeUser(id, 'the user was deleted');
    return deleted;
  }

  // ---- role bindings

  listBindings(userId?: string): Promise<BindingView[]> {
    return listBindings(this.db, userId);
  }

  grant(
    admin: Principal,
    b: { userId: string; role: BuiltinRole; cluster: string; namespace: string },
  ): Promise<Result<BindingView>> {
    const { userId, role, cluster, namespace } = b;
    return inTransaction(this.db, async (trx, abort) => {
      const user = (await findUserById(trx, userId)) ?? abort(problem('not_found', { what: `user ${userId}` }));
      const same = (await listBindings(trx, userId)).find(
        (x) => x.role === role && x.clusterPattern === cluster && x.namespacePattern === namespace,
      );
      if (same) {
        abort(
          problem('conflict', {
            message: `user '${user.username}' already has ${role} on ${cluster}/${namespace} (binding ${same.id})`,
          }),
        );
      }
      const created = await createBinding(trx, {
        userId,
        role,
        clusterPattern: cluster,
        namespacePattern: namespace,
        createdBy: admin.username,
      });
      await this.audit.record(
        {
          actor: admin.username,
          action: 'binding.create',
          target: userTarget(user.username),
          outcome: 'succeeded',
          detail: { bindingId: created.id, role, cluster, namespace },
        },
        trx,
      );
      return created;
    });
  }

  async revoke(admin: Principal, id: string): Promise<Result<void>> {
    const removed = await inTransaction(this.db, async (trx, abort) => {
      const b =
        (await trx
          .selectFrom('role_bindings')
          .innerJoin('users', 'users.id', 'role_bindings.user_id')
          .select([
            'role_bindings.id',
            'role_bindings.role',
            'role_bindings.cluster_pattern',
            'role_bindings.namespace_pattern',
            'role_bindings.user_id',
            'users.username',
          ])
          .where('role_bindings.id', '=', id)
          .executeTakeFirst()) ?? abort(problem('not_found', { what: `binding ${id}` }));
      const refused = await keepAnAdmin(trx, { deleteBinding: b.id });
      if (refused) abort(refused);
      await trx.deleteFrom('role_bindings').where('id', '=', b.id).execute();
      await this.audit.record(
        {
          actor: admin.username,
          action: 'binding.delete',
          target: userTarget(b.username),
          outcome: 'succeeded',
          detail: { bindingId: b.id, role: b.role, cluster: b.cluster_pattern, namespace: b.namespace_pattern },
        },
        trx,
      );
      return b.user_id;
    });
    if (!removed.ok) return removed;
    // Sockets were authorized under the old bindings: close them, the client reconnects under the new ones.
    this.sockets.closeUser(removed.value, 'a role binding was removed');
    return ok(undefined);
  }
}
