// Authentication (/auth/*, /me), API tokens (/tokens) and the admin endpoints
// for users, roles and bindings, under /api/v1. Thin: each route checks the
// caller, asks the identity service, and answers its result.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth/plugin.js';
import { ROLE_DESCRIPTIONS, ROLE_PERMISSIONS, effectivePermissions } from '../auth/rbac.js';
import { BUILTIN_ROLES, type Principal } from '../auth/types.js';
import { HttpError, unwrap } from '../http/errors.js';
import { isSecureRequest } from '../http/transport-security.js';
import {
  BindingOut,
  Id,
  IdParams,
  NewPassword,
  Pattern,
  PermissionsOut,
  Role,
  TokenOut,
  UserOut,
  Username,
  bindingOut,
} from './identity-schemas.js';
import type { IdentityService } from './identity-service.js';
import type { SsoView } from '../oidc/oidc-service.js';

export interface IdentityRoutesOptions {
  identity: IdentityService;
  /**
   * The session cookie's Secure flag. Default: set when the request came over
   * HTTPS (as Fastify sees it — behind a TLS-terminating proxy, name it in
   * trustedProxies or set this to true).
   */
  secureCookie?: boolean | undefined;
  /** With SSO: the caller's provider identity, groups and mapped bindings, for /me. */
  ssoView?: (userId: string) => Promise<SsoView | null>;
}

// ---- routes --------------------------------------------------------------

export const identityRoutes: FastifyPluginCallback<IdentityRoutesOptions> = (fastify, opts, done) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { identity } = opts;
  const requireAdmin = (request: FastifyRequest): Promise<Principal> => app.requirePermission(request, 'admin', {});

  function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
    reply.setCookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: isSecureRequest(request, opts.secureCookie),
    });
  }

  // -- authentication -----------------------------------------------------

  app.post(
    '/auth/login',
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
      const previous = request.cookies[SESSION_COOKIE];
      const signedIn = await identity.login({
        username: request.body.username,
        password: request.body.password,
        ip: request.ip,
        ...(previous ? { previousSession: previous } : {}),
      });
      // Throttled and busy refusals carry `retryAfter`; the error handler turns it into Retry-After.
      if (!signedIn.ok) throw new HttpError(signedIn.problem);
      const { user, session } = signedIn.value;
      setSessionCookie(request, reply, session.sessionId);
      return {
        user: { id: user.id, username: user.username, mustChangePassword: user.must_change_password === 1 },
        csrfToken: session.csrfToken,
      };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the current session (clears the cookie)', response: { 204: z.null() } } },
    async (request, reply) => {
      const principal = app.requireUser(request, { allowPasswordChange: true });
      await identity.logout(principal);
      if (principal.via === 'session') reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: "Change the caller's password (ends the caller's other sessions and revokes all their API tokens)",
        body: z.strictObject({ current: z.string().min(1).max(1024), next: NewPassword }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = app.requireUser(request, { allowPasswordChange: true });
      unwrap(await identity.changePassword(principal, request.body.current, request.body.next, request.ip));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
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
            sso: z
              .object({
                issuer: z.string(),
                subject: z.string(),
                groups: z.array(z.string()),
                lastSignInAt: z.number(),
                bindings: z.array(z.object({ id: z.string(), group: z.string() })),
              })
              .optional()
              .describe('single sign-on users: the groups of the last sign-in and the bindings they mapped to'),
          }),
        },
      },
    },
    async (request) => {
      const p = app.requireUser(request, { allowPasswordChange: true });
      const sso = opts.ssoView ? await opts.ssoView(p.userId) : null;
      return {
        ...(sso ? { sso } : {}),
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
    '/tokens',
    {
      schema: {
        tags: ['auth'],
        summary:
          "Create an API token for the caller after re-entering the caller's password (the token is shown only in this response); it expires after expiresInDays (default and maximum: the hub's settings)",
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
          password: z.string().min(1).max(1024).describe("the caller's current password (re-authentication)"),
        }),
        response: {
          201: z.object({ id: z.string(), name: z.string(), token: z.string(), expiresAt: z.number().nullable() }),
        },
      },
    },
    async (request, reply) => {
      const p = app.requireUser(request);
      const { name, expiresInDays, password } = request.body;
      return reply
        .status(201)
        .send(unwrap(await identity.createToken(p, { name, expiresInDays, password, ip: request.ip })));
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: "The caller's API tokens (never the token itself)",
        response: { 200: z.object({ items: z.array(TokenOut) }) },
      },
    },
    async (request) => {
      const p = app.requireUser(request);
      return { items: await identity.listTokens(p.userId) };
    },
  );

  app.delete(
    '/tokens/:id',
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
      unwrap(await identity.revokeToken(p, request.params.id, app.can(p, 'admin', {})));
      return reply.status(204).send(null);
    },
  );

  // -- users (admin) ------------------------------------------------------

  const UserWithBindings = UserOut.extend({ bindings: z.array(BindingOut) });

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users with their role bindings (admin)',
        response: { 200: z.object({ items: z.array(UserWithBindings) }) },
      },
    },
    async (request) => {
      await requireAdmin(request);
      const users = await identity.listUsers();
      return { items: users.map((u) => ({ ...u.user, bindings: u.bindings.map(bindingOut) })) };
    },
  );

  app.post(
    '/users',
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
      const created = unwrap(await identity.createUser(admin, request.body));
      return reply.status(201).send({
        ...created.user,
        bindings: created.bindings.map(bindingOut),
        ...(created.password !== undefined ? { password: created.password } : {}),
      });
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary:
          "Disable/enable a user or reset their password (admin). Disabling and a reset end the user's sessions, revoke their API tokens and close their sockets; a reset makes the new password one-time",
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
      return unwrap(await identity.updateUser(admin, request.params.id, request.body));
    },
  );

  app.delete(
    '/users/:id',
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
      unwrap(await identity.deleteUser(admin, request.params.id));
      return reply.status(204).send(null);
    },
  );

  // -- roles and bindings (admin) -----------------------------------------

  app.get(
    '/roles',
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
    '/bindings',
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
      return { items: (await identity.listBindings(request.query.userId)).map(bindingOut) };
    },
  );

  app.post(
    '/bindings',
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
      return reply.status(201).send(bindingOut(unwrap(await identity.grant(admin, request.body))));
    },
  );

  app.delete(
    '/bindings/:id',
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
      unwrap(await identity.revoke(admin, request.params.id));
      return reply.status(204).send(null);
    },
  );
  done();
};
