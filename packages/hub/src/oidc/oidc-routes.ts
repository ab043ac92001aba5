// Single sign-on routes under /api/v1/auth: which sign-in methods the hub
// offers, the redirect to the provider and back, the CLI's code exchange and
// SSO sign-out. Registered whether or not SSO is configured (the matrix and
// the fuzzer see them); unconfigured they answer 404 sso_not_configured.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth/plugin.js';
import { HttpError, apiError } from '../http/errors.js';
import type { IdentityService } from '../identity/identity-service.js';
import type { OidcService } from './oidc-service.js';
import type { LocalAccountsPolicy } from './oidc-settings.js';

export interface OidcRoutesOptions {
  oidc: OidcService | undefined;
  identity: IdentityService;
  localAccounts: LocalAccountsPolicy | undefined;
  /** As identity-routes: the session cookie's Secure flag (default: when the request came over HTTPS). */
  secureCookie?: boolean;
}

/** Binds an authorization request to the browser that started it (login CSRF). */
export const OIDC_BROWSER_COOKIE = 'wh_oidc';
const OIDC_COOKIE_PATH = '/api/v1/auth/oidc';

/** Same-origin paths only: no scheme, no host, no `//` or `\` tricks. */
const ReturnTo = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\\\s]*$/, 'must be a path on this hub, starting with a single "/"');
/** `wheelhouse login --sso` listens on loopback only. */
const CliRedirect = z
  .string()
  .max(256)
  .regex(
    /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}\/[A-Za-z0-9/_-]*$/,
    'must be http://127.0.0.1:<port>/<path> (loopback)',
  );
const CliState = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16–128 URL-safe characters');
const CliChallenge = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a PKCE S256 challenge (43 base64url characters)');

const wantsHtml = (request: FastifyRequest): boolean => (request.headers.accept ?? '').includes('text/html');

export const oidcRoutes: FastifyPluginCallback<OidcRoutesOptions> = (fastify, opts, done) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  const configured = (): OidcService => {
    if (!opts.oidc) throw apiError('sso_not_configured');
    return opts.oidc;
  };
  const secure = (request: FastifyRequest): boolean => opts.secureCookie ?? request.protocol === 'https';

  app.get(
    '/auth/methods',
    {
      schema: {
        tags: ['auth'],
        summary: 'How one signs in to this hub: passwords (all accounts, or only the break-glass admin) and SSO',
        security: [],
        response: {
          200: z.object({
            password: z.enum(['all', 'break-glass']),
            sso: z.object({ name: z.string(), loginUrl: z.string() }).nullable(),
          }),
        },
      },
    },
    () => ({
      password: opts.localAccounts?.mode ?? 'all',
      sso: opts.oidc
        ? { name: opts.oidc.provider.settings.providerName ?? 'SSO', loginUrl: '/api/v1/auth/oidc/login' }
        : null,
    }),
  );

  app.get(
    '/auth/oidc/login',
    {
      schema: {
        tags: ['auth'],
        summary:
          'Start single sign-on: redirects to the identity provider (PKCE, state, nonce). The CLI adds its loopback redirect, state and PKCE challenge',
        security: [],
        querystring: z
          .strictObject({
            returnTo: ReturnTo.optional(),
            cliRedirect: CliRedirect.optional(),
            cliState: CliState.optional(),
            cliChallenge: CliChallenge.optional(),
          })
          .refine(
            (q) =>
              (q.cliRedirect === undefined) === (q.cliState === undefined) &&
              (q.cliRedirect === undefined) === (q.cliChallenge === undefined),
            { message: 'cliRedirect, cliState and cliChallenge go together', path: ['cliRedirect'] },
          ),
      },
    },
    async (request, reply) => {
      const oidc = configured();
      const q = request.query;
      const begun = await oidc.begin({
        returnTo: q.returnTo ?? '/',
        ...(q.cliRedirect !== undefined && q.cliState !== undefined && q.cliChallenge !== undefined
          ? { cli: { redirect: q.cliRedirect, state: q.cliState, challenge: q.cliChallenge } }
          : {}),
      });
      if (!begun.ok) throw new HttpError(begun.problem);
      // SameSite=Lax: the provider's redirect back is a cross-site top-level GET, which Strict would not carry.
      reply.setCookie(OIDC_BROWSER_COOKIE, begun.value.browserToken, {
        httpOnly: true,
        sameSite: 'lax',
        path: OIDC_COOKIE_PATH,
        secure: secure(request),
        maxAge: 600,
      });
      return reply.redirect(begun.value.url, 302);
    },
  );

  async function failed(request: FastifyRequest, reply: FastifyReply, err: HttpError): Promise<FastifyReply> {
    // A person in a browser lands on the sign-in page with the reason; API clients get the error body.
    if (wantsHtml(request)) {
      const reason = typeof err.body.reason === 'string' ? err.body.reason : err.code;
      return reply.redirect(
        `/login?${new URLSearchParams({ ssoError: reason, message: err.body.message }).toString()}`,
        303,
      );
    }
    return reply.status(err.statusCode).send(err.body);
  }

  app.get(
    '/auth/oidc/callback',
    {
      schema: {
        tags: ['auth'],
        summary:
          "The identity provider's redirect back: checks state (and this browser's wh_oidc cookie), exchanges the code, checks the ID token, maps groups to roles; then sets wh_session and redirects",
        security: [],
        querystring: z
          .object({
            state: z.string().max(512).optional(),
            code: z.string().max(2048).optional(),
            error: z.string().max(256).optional(),
            error_description: z.string().max(2048).optional(),
          })
          .catchall(z.string().max(2048)),
      },
    },
    async (request, reply) => {
      const oidc = configured();
      const query = new URLSearchParams(request.url.split('?')[1] ?? '');
      const previous = request.cookies[SESSION_COOKIE];
      const result = await oidc.complete({
        query,
        browserToken: request.cookies[OIDC_BROWSER_COOKIE],
        ip: request.ip,
        ...(previous ? { previousSession: previous } : {}),
      });
      reply.clearCookie(OIDC_BROWSER_COOKIE, { path: OIDC_COOKIE_PATH });
      if (!result.ok) return failed(request, reply, new HttpError(result.problem));
      const done = result.value;
      if (done.kind === 'cli') return reply.redirect(done.redirect, 303);
      reply.setCookie(SESSION_COOKIE, done.session.sessionId, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        secure: secure(request),
      });
      return reply.redirect(done.returnTo, 303);
    },
  );

  app.post(
    '/auth/oidc/token',
    {
      config: { csrf: false },
      schema: {
        tags: ['auth'],
        summary:
          '`wheelhouse login --sso`: exchange the one-time code from the loopback redirect, with the PKCE verifier, for an API token',
        security: [],
        body: z.strictObject({
          code: z.string().min(1).max(256),
          codeVerifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be a PKCE code verifier (RFC 7636)'),
          name: z.string().trim().min(1).max(100),
        }),
        response: { 201: z.object({ token: z.string(), username: z.string(), expiresAt: z.number().nullable() }) },
      },
    },
    async (request, reply) => {
      const oidc = configured();
      const exchanged = await oidc.exchangeCliCode({ ...request.body, ip: request.ip });
      if (!exchanged.ok) throw new HttpError(exchanged.problem);
      return reply.status(201).send(exchanged.value);
    },
  );

  app.post(
    '/auth/oidc/logout',
    {
      schema: {
        tags: ['auth'],
        summary:
          "Sign out of an SSO session: ends the session and answers the provider's end-session URL (RP-initiated logout) to navigate to, or null",
        response: { 200: z.object({ endSessionUrl: z.string().nullable() }) },
      },
    },
    async (request, reply) => {
      const principal = app.requireUser(request, { allowPasswordChange: true });
      // The URL needs the session's ID token, so it is read before the session ends.
      const endSessionUrl = opts.oidc ? await opts.oidc.endSessionUrl(principal) : null;
      await opts.identity.logout(principal);
      if (principal.via === 'session') reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.send({ endSessionUrl });
    },
  );

  done();
};
