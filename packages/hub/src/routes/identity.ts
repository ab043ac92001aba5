// Authentication (/auth/*, /me), API tokens (/tokens) and the admin endpoints
// for users, roles and bindings. Every change that affects who can do what is
// written in one transaction with its audit record.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE, type AuthDeps } from '../auth/plugin.js';
import {
  DEFAULT_SESSION_TTL_MS,
  createApiToken,
  createBinding,
  createSession,
  createUser,
  findUserById,
  findUserByName,
  globalAdminIds,
  killCredentials,
  listApiTokens,
  listBindings,
  toUserView,
  type BindingView,
  type Exec,
} from '../auth/identity-store.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../auth/password.js';
import { PATTERN_RE, ROLE_DESCRIPTIONS, ROLE_PERMISSIONS, effectivePermissions } from '../auth/rbac.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { generatePassword, sha256Hex } from '../auth/secrets.js';
import { BUILTIN_ROLES, type Principal } from '../auth/types.js';
import { apiError, badRequest, conflict, notFound } from '../http/errors.js';

// ---- schemas -------------------------------------------------------------

const Username = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[a-z0-9][a-z0-9._@-]*$/,
    'must be lowercase letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
  );
/** New passwords; login accepts any non-empty string up to the same bound. */
const NewPassword = z.string().min(10, 'must be at least 10 characters').max(1024);
const Pattern = z
  .string()
  .regex(PATTERN_RE, "must be '*' or a name with '*' wildcards (lowercase letters, digits, '.', '-'; at most 253)");
const Role = z.enum(BUILTIN_ROLES);
const Id = z.string().min(1).max(64);
const IdParams = z.strictObject({ id: Id });

const UserOut = z.object({
  id: z.string(),
  username: z.string(),
  createdAt: z.number().describe('epoch ms'),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
});
const BindingOut = z.object({
  id: z.string(),
  userId: z.string(),
  role: Role,
  cluster: z.string().describe('cluster pattern'),
  namespace: z.string().describe('namespace pattern'),
  createdAt: z.number(),
  createdBy: z.string(),
});
const PermissionsOut = z.object({
  global: z.array(z.string()).describe('permissions held on every cluster and namespace'),
  scopes: z.array(z.object({ cluster: z.string(), namespace: z.string(), permissions: z.array(z.string()) })),
});
const TokenOut = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  expiresAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

const bindingOut = (b: BindingView): z.infer<typeof BindingOut> => ({
  id: b.id,
  userId: b.userId,
  role: b.role,
  cluster: b.clusterPattern,
  namespace: b.namespacePattern,
  createdAt: b.createdAt,
  createdBy: b.createdBy,
});

const userTarget = (username: string): { kind: string; namespace: string; name: string } => ({
  kind: 'User',
  namespace: '',
  name: username,
});

// ---- routes --------------------------------------------------------------

export function registerIdentityRoutes(fastify: FastifyInstance, deps: AuthDeps): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db, audit } = deps;
  const ttl = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const throttle = deps.loginThrottle ?? new LoginThrottle();
  const requireAdmin = (request: FastifyRequest): Promise<Principal> => app.requirePermission(request, 'admin', {});

  function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
    reply.setCookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: deps.secureCookie ?? request.protocol === 'https',
    });
  }

  /** Refuses a change after which no enabled user holds account-admin on every cluster and namespace (nobody could administer the hub). */
  async function keepAnAdmin(trx: Exec, change: { disableUser?: string; deleteBinding?: string }): Promise<void> {
    const before = await globalAdminIds(trx);
    if (before.size === 0) return; // nothing to protect (the store was set up some other way)
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
    if (after.size === 0)
      throw conflict('refused: no enabled user would hold account-admin on every cluster and namespace');
  }

  // -- authentication -----------------------------------------------------

  app.post(
    '/api/v1/auth/login',
    {
      config: { csrf: false },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username and password; sets the wh_session cookie',
        security: [],
        body: z.strictObject({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) }),
        response: {
          200: z.object({
            user: UserOut.pick({ id: true, username: true, mustChangePassword: true }),
            csrfToken: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const username = request.body.username.toLowerCase();
      const wait = throttle.retryAfterMs(username, request.ip);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        void reply.header('retry-after', String(seconds));
        throw apiError('too_many_attempts', { username, seconds });
      }
      const user = await findUserByName(db, username);
      // Same work and the same answer whether the user is unknown, disabled or the password is wrong.
      const passwordOk = user
        ? await verifyPassword(request.body.password, user.password_hash)
        : await verifyAgainstDummy(request.body.password);
      const failure = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : user.disabled === 1 ? 'disabled' : null;
      if (failure !== null || !user) {
        throttle.failed(username, request.ip);
        await audit.record({
          actor: username,
          action: 'auth.login',
          outcome: 'failed',
          detail: { reason: failure ?? 'unknown_user', ip: request.ip },
        });
        throw apiError('invalid_credentials');
      }
      throttle.succeeded(username, request.ip);
      const rehash = needsRehash(user.password_hash) ? await hashPassword(request.body.password) : null;
      const previous = request.cookies[SESSION_COOKIE];
      const session = await db.transaction().execute(async (trx) => {
        if (rehash !== null)
          await trx.updateTable('users').set({ password_hash: rehash }).where('id', '=', user.id).execute();
        // A fresh session id on every sign-in (no fixation); the old one ends.
        if (previous) await trx.deleteFrom('sessions').where('id_hash', '=', sha256Hex(previous)).execute();
        const created = await createSession(trx, user.id, ttl);
        await audit.record(
          { actor: user.username, action: 'auth.login', outcome: 'succeeded', detail: { ip: request.ip } },
          trx,
        );
        return created;
      });
      setSessionCookie(request, reply, session.sessionId);
      return {
        user: { id: user.id, username: user.username, mustChangePassword: user.must_change_password === 1 },
        csrfToken: session.csrfToken,
      };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the current session (clears the cookie)', response: { 204: z.null() } } },
    async (request, reply) => {
      const principal = app.requireUser(request, { allowPasswordChange: true });
      await db.transaction().execute(async (trx) => {
        if (principal.sessionIdHash !== undefined)
          await trx.deleteFrom('sessions').where('id_hash', '=', principal.sessionIdHash).execute();
        await audit.record(
          { actor: principal.username, action: 'auth.logout', outcome: 'succeeded', detail: { via: principal.via } },
          trx,
        );
      });
      if (principal.via === 'session') reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: "Change the caller's password (ends the caller's other sessions)",
        body: z.strictObject({ current: z.string().min(1).max(1024), next: NewPassword }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = app.requireUser(request, { allowPasswordChange: true });
      const user = await findUserById(db, principal.userId);
      if (!user) throw apiError('unauthenticated', { message: 'the account no longer exists' });
      if (!(await verifyPassword(request.body.current, user.password_hash))) {
        await audit.record({
          actor: principal.username,
          action: 'auth.password_change',
          target: userTarget(user.username),
          outcome: 'failed',
          detail: { reason: 'wrong_password' },
        });
        throw apiError('wrong_current_password');
      }
      if (request.body.next === request.body.current) {
        throw badRequest('body.next: must differ from the current password', {
          issues: [{ path: 'body.next', message: 'must differ from the current password' }],
        });
      }
      const hash = await hashPassword(request.body.next);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('users')
          .set({ password_hash: hash, must_change_password: 0 })
          .where('id', '=', user.id)
          .execute();
        // Other browsers signed in with the old password are signed out; API tokens stay.
        await trx
          .deleteFrom('sessions')
          .where('user_id', '=', user.id)
          .where('id_hash', '!=', principal.sessionIdHash ?? '')
          .execute();
        await audit.record(
          {
            actor: principal.username,
            action: 'auth.password_change',
            target: userTarget(user.username),
            outcome: 'succeeded',
          },
          trx,
        );
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The caller: user, role bindings, effective permissions and (cookie sessions) the CSRF token',
        response: {
          200: z.object({
            user: UserOut.pick({ id: true, username: true, mustChangePassword: true }),
            via: z.enum(['session', 'token']),
            bindings: z.array(z.object({ id: z.string(), role: Role, cluster: z.string(), namespace: z.string() })),
            permissions: PermissionsOut,
            csrfToken: z.string().optional(),
          }),
        },
      },
    },
    (request) => {
      const p = app.requireUser(request, { allowPasswordChange: true });
      return {
        user: { id: p.userId, username: p.username, mustChangePassword: p.mustChangePassword },
        via: p.via,
        bindings: p.bindings.map((b) => ({
          id: b.id,
          role: b.role,
          cluster: b.clusterPattern,
          namespace: b.namespacePattern,
        })),
        permissions: effectivePermissions(p.bindings),
        ...(p.csrfToken !== undefined ? { csrfToken: p.csrfToken } : {}),
      };
    },
  );

  // -- API tokens ---------------------------------------------------------

  app.post(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API token for the caller (the token is shown only in this response)',
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        }),
        response: {
          201: z.object({ id: z.string(), name: z.string(), token: z.string(), expiresAt: z.number().nullable() }),
        },
      },
    },
    async (request, reply) => {
      const p = app.requireUser(request);
      const created = await db.transaction().execute(async (trx) => {
        const t = await createApiToken(trx, {
          userId: p.userId,
          name: request.body.name,
          expiresInDays: request.body.expiresInDays,
        });
        await audit.record(
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
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: "The caller's API tokens (never the token itself)",
        response: { 200: z.object({ items: z.array(TokenOut) }) },
      },
    },
    async (request) => {
      const p = app.requireUser(request);
      return { items: await listApiTokens(db, p.userId) };
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API token (own; admins: any)',
        params: IdParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const p = app.requireUser(request);
      const row = await db
        .selectFrom('api_tokens')
        .innerJoin('users', 'users.id', 'api_tokens.user_id')
        .select(['api_tokens.id', 'api_tokens.user_id', 'api_tokens.name', 'api_tokens.revoked_at', 'users.username'])
        .where('api_tokens.id', '=', request.params.id)
        .executeTakeFirst();
      // Someone else's token is "not found" unless the caller administers the hub.
      if (!row || (row.user_id !== p.userId && !app.can(p, 'admin', {})))
        throw notFound(`API token ${request.params.id}`);
      if (row.revoked_at === null) {
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('api_tokens').set({ revoked_at: Date.now() }).where('id', '=', row.id).execute();
          await audit.record(
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
      }
      return reply.status(204).send(null);
    },
  );

  // -- users (admin) ------------------------------------------------------

  const UserWithBindings = UserOut.extend({ bindings: z.array(BindingOut) });

  app.get(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users with their role bindings (admin)',
        response: { 200: z.object({ items: z.array(UserWithBindings) }) },
      },
    },
    async (request) => {
      await requireAdmin(request);
      const users = await db.selectFrom('users').selectAll().orderBy('username').execute();
      const bindings = await listBindings(db);
      return {
        items: users.map((u) => ({
          ...toUserView(u),
          bindings: bindings.filter((b) => b.userId === u.id).map(bindingOut),
        })),
      };
    },
  );

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        summary:
          'Create a local user, optionally with a first role binding (admin); without a password a one-time password is generated and returned once',
        body: z
          .strictObject({
            username: Username,
            password: NewPassword.optional(),
            role: Role.optional(),
            cluster: Pattern.optional(),
            namespace: Pattern.optional(),
          })
          .refine((b) => b.role !== undefined || (b.cluster === undefined && b.namespace === undefined), {
            message: 'cluster and namespace need a role',
            path: ['role'],
          }),
        response: {
          201: UserWithBindings.extend({
            password: z.string().optional().describe('generated one-time password, shown once'),
          }),
        },
      },
    },
    async (request, reply) => {
      const admin = await requireAdmin(request);
      const { username, role } = request.body;
      const generated = request.body.password === undefined ? generatePassword() : undefined;
      const passwordHash = await hashPassword(request.body.password ?? generated ?? '');
      const binding = role
        ? { role, clusterPattern: request.body.cluster ?? '*', namespacePattern: request.body.namespace ?? '*' }
        : undefined;
      const created = await db.transaction().execute(async (trx) => {
        if (await findUserByName(trx, username)) throw conflict(`user '${username}' already exists`);
        const out = await createUser(trx, {
          username,
          passwordHash,
          mustChangePassword: generated !== undefined,
          ...(binding ? { binding } : {}),
          createdBy: admin.username,
        });
        await audit.record(
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
      return reply.status(201).send({
        ...toUserView(created.user),
        bindings: created.binding ? [bindingOut(created.binding)] : [],
        ...(generated !== undefined ? { password: generated } : {}),
      });
    },
  );

  app.patch(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary:
          "Disable/enable a user or reset their password (admin). Disabling ends the user's sessions and revokes their API tokens; a reset ends their sessions and makes the new password one-time",
        params: IdParams,
        body: z
          .strictObject({ disabled: z.boolean().optional(), password: NewPassword.optional() })
          .refine((b) => b.disabled !== undefined || b.password !== undefined, {
            message: 'send disabled and/or password',
          }),
        response: { 200: UserOut },
      },
    },
    async (request) => {
      const admin = await requireAdmin(request);
      const { disabled, password } = request.body;
      const hash = password === undefined ? undefined : await hashPassword(password);
      const updated = await db.transaction().execute(async (trx) => {
        const user = await findUserById(trx, request.params.id);
        if (!user) throw notFound(`user ${request.params.id}`);
        if (disabled === true && user.disabled === 0) {
          if (user.id === admin.userId) throw conflict('refused: you cannot disable yourself');
          await keepAnAdmin(trx, { disableUser: user.id });
        }
        await trx
          .updateTable('users')
          .set({
            ...(disabled !== undefined ? { disabled: disabled ? 1 : 0 } : {}),
            ...(hash !== undefined ? { password_hash: hash, must_change_password: 1 } : {}),
          })
          .where('id', '=', user.id)
          .execute();
        if (disabled === true) await killCredentials(trx, user.id);
        else if (hash !== undefined) await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
        await audit.record(
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
        return findUserById(trx, user.id);
      });
      if (!updated) throw notFound(`user ${request.params.id}`);
      return toUserView(updated);
    },
  );

  app.delete(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user with their sessions, API tokens and bindings (admin)',
        params: IdParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const admin = await requireAdmin(request);
      await db.transaction().execute(async (trx) => {
        const user = await findUserById(trx, request.params.id);
        if (!user) throw notFound(`user ${request.params.id}`);
        if (user.id === admin.userId) throw conflict('refused: you cannot delete yourself');
        await keepAnAdmin(trx, { disableUser: user.id });
        // Sessions, tokens and bindings go with the user (foreign keys cascade).
        await trx.deleteFrom('users').where('id', '=', user.id).execute();
        await audit.record(
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
      return reply.status(204).send(null);
    },
  );

  // -- roles and bindings (admin) -----------------------------------------

  app.get(
    '/api/v1/roles',
    {
      schema: {
        tags: ['users'],
        summary: "Built-in roles and their permissions ('action:*' = every action)",
        response: {
          200: z.object({
            items: z.array(z.object({ name: Role, description: z.string(), permissions: z.array(z.string()) })),
          }),
        },
      },
    },
    async (request) => {
      await requireAdmin(request);
      return {
        items: BUILTIN_ROLES.map((name) => ({
          name,
          description: ROLE_DESCRIPTIONS[name],
          permissions: [...ROLE_PERMISSIONS[name]],
        })),
      };
    },
  );

  app.get(
    '/api/v1/bindings',
    {
      schema: {
        tags: ['users'],
        summary: 'List role bindings, optionally of one user (admin)',
        querystring: z.strictObject({ userId: Id.optional() }),
        response: { 200: z.object({ items: z.array(BindingOut) }) },
      },
    },
    async (request) => {
      await requireAdmin(request);
      return { items: (await listBindings(db, request.query.userId)).map(bindingOut) };
    },
  );

  app.post(
    '/api/v1/bindings',
    {
      schema: {
        tags: ['users'],
        summary: 'Grant a role to a user on (cluster pattern × namespace pattern) (admin)',
        body: z.strictObject({ userId: Id, role: Role, cluster: Pattern, namespace: Pattern }),
        response: { 201: BindingOut },
      },
    },
    async (request, reply) => {
      const admin = await requireAdmin(request);
      const { userId, role, cluster, namespace } = request.body;
      const binding = await db.transaction().execute(async (trx) => {
        const user = await findUserById(trx, userId);
        if (!user) throw notFound(`user ${userId}`);
        const same = (await listBindings(trx, userId)).find(
          (b) => b.role === role && b.clusterPattern === cluster && b.namespacePattern === namespace,
        );
        if (same)
          throw conflict(`user '${user.username}' already has ${role} on ${cluster}/${namespace} (binding ${same.id})`);
        const b = await createBinding(trx, {
          userId,
          role,
          clusterPattern: cluster,
          namespacePattern: namespace,
          createdBy: admin.username,
        });
        await audit.record(
          {
            actor: admin.username,
            action: 'binding.create',
            target: userTarget(user.username),
            outcome: 'succeeded',
            detail: { bindingId: b.id, role, cluster, namespace },
          },
          trx,
        );
        return b;
      });
      return reply.status(201).send(bindingOut(binding));
    },
  );

  app.delete(
    '/api/v1/bindings/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Remove a role binding (admin)',
        params: IdParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const admin = await requireAdmin(request);
      await db.transaction().execute(async (trx) => {
        const b = await trx
          .selectFrom('role_bindings')
          .innerJoin('users', 'users.id', 'role_bindings.user_id')
          .select([
            'role_bindings.id',
            'role_bindings.role',
            'role_bindings.cluster_pattern',
            'role_bindings.namespace_pattern',
            'users.username',
          ])
          .where('role_bindings.id', '=', request.params.id)
          .executeTakeFirst();
        if (!b) throw notFound(`binding ${request.params.id}`);
        await keepAnAdmin(trx, { deleteBinding: b.id });
        await trx.deleteFrom('role_bindings').where('id', '=', b.id).execute();
        await audit.record(
          {
            actor: admin.username,
            action: 'binding.delete',
            target: userTarget(b.username),
            outcome: 'succeeded',
            detail: { bindingId: b.id, role: b.role, cluster: b.cluster_pattern, namespace: b.namespace_pattern },
          },
          trx,
        );
      });
      return reply.status(204).send(null);
    },
  );
}
