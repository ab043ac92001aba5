// Single sign-on: starts an authorization request, turns the provider's
// redirect into a Wheelhouse session (creating the user on first sign-in and
// replacing the bindings group mapping made last time), hands the CLI an API
// token through a one-time code bound to its PKCE challenge, and ends SSO
// sessions with the provider's end-session URL. Every refusal is audited
// (auth.sso, failed, with the reason) and changes nothing else.
import type { IdpGroups } from './idp-groups.js';
import { createHash } from 'node:crypto';
import { problem } from '@wheelhouse/protocol';
import * as client from 'openid-client';
import type { AuditLog } from '../audit/audit-log.js';
import {
  DEFAULT_SESSION_TTL_MS,
  createApiToken,
  createSession,
  createUser,
  findUserById,
  findUserByName,
  type CreatedSession,
} from '../auth/identity-store.js';
import { randomSecret, safeEqual, sha256Hex } from '../auth/secrets.js';
import type { Principal } from '../auth/types.js';
import { Username } from '../identity/identity-schemas.js';
import { fail, ok, type Result } from '../service-result.js';
import type { HubDb } from '../store/db.js';
import { mappedBindings } from './group-mapping.js';
import { OidcProvider, SsoError, type SsoFailureReason } from './oidc-provider.js';
import { RefreshTokenBox } from './refresh-token-box.js';
import {
  findIdentity,
  groupsFromClaims,
  replaceSsoBindings,
  identityOfUser,
  saveAttempt,
  saveCliCode,
  saveSsoSession,
  ssoBindingsOf,
  ssoSessionToken,
  takeAttempt,
  takeCliCode,
} from './oidc-store.js';

/** How long a started sign-in may take at the provider. */
const ATTEMPT_TTL_MS = 10 * 60_000;
/** How long the CLI has to exchange its code. */
const CLI_CODE_TTL_MS = 2 * 60_000;
/** Users created by SSO have no password: this is not a scrypt hash, so no password ever matches. */
export const NO_PASSWORD = 'sso:no-password';

export interface CliRequest {
  redirect: string;
  state: string;
  challenge: string;
}

export interface SsoView {
  issuer: string;
  subject: string;
  groups: string[];
  lastSignInAt: number;
  /** The caller's bindings that group mapping made, with the group that made each. */
  bindings: { id: string; group: string }[];
}

export type Completed =
  | { kind: 'browser'; username: string; session: CreatedSession; returnTo: string }
  | { kind: 'cli'; username: string; redirect: string };

export interface OidcServiceDeps {
  db: HubDb;
  audit: AuditLog;
  provider: OidcProvider;
  sessionTtlMs?: number;
  /** Lifetime of the API token `wheelhouse login --sso` gets (the hub's default token lifetime). */
  cliTokenDays?: number;
  /** Told each signed-in user's IdP groups (the agent link passes them on for impersonation). */
  idpGroups?: IdpGroups;
}

const s256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

export class OidcService {
  private readonly idpGroups: IdpGroups | undefined;
  private readonly db: HubDb;
  private readonly audit: AuditLog;
  readonly provider: OidcProvider;
  private readonly ttl: number;
  private readonly cliTokenDays: number;
  /** Seals the provider's refresh tokens in the store. */
  readonly box: RefreshTokenBox;

  constructor(deps: OidcServiceDeps) {
    this.box = new RefreshTokenBox(deps.provider.settings.clientSecret);
    this.cliTokenDays = deps.cliTokenDays ?? 90;
    this.db = deps.db;
    this.audit = deps.audit;
    this.provider = deps.provider;
    this.ttl = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    this.idpGroups = deps.idpGroups;
  }

  private get issuer(): string {
    return this.provider.settings.issuer;
  }

  /**
   * A new authorization request: the provider URL to send the browser to, and
   * the value of the browser-binding cookie (the callback must come back with it).
   */
  async begin(input: { returnTo: string; cli?: CliRequest }): Promise<Result<{ url: string; browserToken: string }>> {
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const browserToken = randomSecret(32);
    let url: string;
    try {
      url = await this.provider.authorizationUrl({ state, nonce, codeVerifier });
    } catch (err) {
      return fail(problem('sso_unavailable', { message: err instanceof Error ? err.message : String(err) }));
    }
    const now = Date.now();
    await saveAttempt(this.db, {
      state_hash: sha256Hex(state),
      browser_hash: sha256Hex(browserToken),
      nonce,
      code_verifier: codeVerifier,
      return_to: input.returnTo,
      cli_redirect: input.cli?.redirect ?? null,
      cli_state: input.cli?.state ?? null,
      cli_challenge: input.cli?.challenge ?? null,
      created_at: now,
      expires_at: now + ATTEMPT_TTL_MS,
    });
    return ok({ url, browserToken });
  }

  private async refuse<T>(
    reason: SsoFailureReason,
    message: string,
    ip: string,
    extra: { subject?: string; via?: 'browser' | 'cli' } = {},
  ): Promise<Result<T>> {
    await this.audit.record({
      actor: extra.subject !== undefined ? `sso:${extra.subject}` : 'anonymous',
      action: 'auth.sso',
      outcome: 'failed',
      detail: { ip, issuer: this.issuer, reason, message, ...extra },
    });
    return fail(problem('sso_failed', { reason, message }, { reason }));
  }

  /** The provider's redirect back: query as received, the browser-binding cookie, the caller's address. */
  async complete(input: {
    query: URLSearchParams;
    browserToken: string | undefined;
    ip: string;
    previousSession?: string;
  }): Promise<Result<Completed>> {
    const { ip } = input;
    const state = input.query.get('state');
    if (!state) return this.refuse('bad_state', 'the redirect carries no state', ip);
    const attempt = await takeAttempt(this.db, sha256Hex(state));
    if (!attempt) return this.refuse('bad_state', 'unknown or already used state', ip);
    if (!input.browserToken || !safeEqual(sha256Hex(input.browserToken), attempt.browser_hash))
      return this.refuse(
        'bad_state',
        'the state was issued to another browser (the sign-in cookie does not match)',
        ip,
      );
    if (attempt.expires_at <= Date.now())
      return this.refuse('state_expired', 'the sign-in took longer than 10 minutes', ip);
    const via = attempt.cli_redirect !== null ? 'cli' : 'browser';

    let tokens;
    try {
      tokens = await this.provider.exchange(input.query, {
        state,
        nonce: attempt.nonce,
        codeVerifier: attempt.code_verifier,
      });
    } catch (err) {
      const e = err instanceof SsoError ? err : new SsoError('token_rejected', String(err));
      if (e.reason === 'unavailable') {
        await this.audit.record({
          actor: 'anonymous',
          action: 'auth.sso',
          outcome: 'failed',
          detail: { ip, issuer: this.issuer, reason: 'unavailable', message: e.message, via },
        });
        return fail(problem('sso_unavailable', { message: e.message }));
      }
      return this.refuse(e.reason, e.message, ip, { via });
    }

    const settings = this.provider.settings;
    const claims = tokens.claims;
    const subject = typeof claims.sub === 'string' ? claims.sub : '';
    const usernameClaim = settings.usernameClaim ?? 'email';
    const rawName = claims[usernameClaim];
    if (typeof rawName !== 'string' || rawName === '')
      return this.refuse('missing_claim', `the ID token has no "${usernameClaim}" claim`, ip, { subject, via });
    const username = rawName.toLowerCase();
    if (!Username.safeParse(username).success)
      return this.refuse('invalid_username', `"${username}" (claim ${usernameClaim}) is not a valid username`, ip, {
        subject,
        via,
      });
    const groupsClaim = settings.groupsClaim ?? 'groups';
    const groups = groupsFromClaims(claims, groupsClaim);
    if (groups === null)
      return this.refuse('missing_claim', `the "${groupsClaim}" claim is not a list of group names`, ip, {
        subject,
        via,
      });
    const bindings = mappedBindings(settings.groupMappings ?? [], groups);

    const outcome = await this.db.transaction().execute(async (trx) => {
      const known = await findIdentity(trx, this.issuer, subject);
      let userId: string;
      let created = false;
      if (known) {
        const user = await findUserById(trx, known.user_id);
        if (!user || user.disabled === 1) return { refused: 'disabled' as const };
        userId = user.id;
      } else {
        // A local account of that name is not taken over by whoever the provider vouches for.
        if (await findUserByName(trx, username)) return { refused: 'username_taken' as const };
        const made = await createUser(trx, { username, passwordHash: NO_PASSWORD, createdBy: 'sso' });
        userId = made.user.id;
        created = true;
        await this.audit.record(
          {
            actor: username,
            action: 'user.create',
            target: { kind: 'User', namespace: '', name: username },
            outcome: 'succeeded',
            detail: { userId, oneTimePassword: false },
          },
          trx,
        );
      }
      const now = Date.now();
      if (known) {
        await trx
          .updateTable('oidc_identities')
          .set({ groups: JSON.stringify(groups), last_sign_in_at: now })
          .where('issuer', '=', this.issuer)
          .where('subject', '=', subject)
          .execute();
      } else {
        await trx
          .insertInto('oidc_identities')
          .values({
            issuer: this.issuer,
            subject,
            user_id: userId,
            groups: JSON.stringify(groups),
            first_seen_at: now,
            last_sign_in_at: now,
          })
          .execute();
      }
      // The provider's groups decide SSO access afresh: last sign-in's mapped bindings go, today's come.
      await replaceSsoBindings(trx, userId, bindings);
      let result: { session?: CreatedSession; cliCode?: string };
      if (attempt.cli_redirect !== null && attempt.cli_challenge !== null) {
        const code = randomSecret(32);
        await saveCliCode(trx, {
          code_hash: sha256Hex(code),
          user_id: userId,
          cli_challenge: attempt.cli_challenge,
          created_at: now,
          expires_at: now + CLI_CODE_TTL_MS,
        });
        result = { cliCode: code };
      } else {
        // A fresh session id on every sign-in (no fixation); the old one ends.
        if (input.previousSession)
          await trx.deleteFrom('sessions').where('id_hash', '=', sha256Hex(input.previousSession)).execute();
        const session = await createSession(trx, userId, this.ttl);
        // The session lasts as the provider says (sso-sessions.ts): renewed with the refresh token, kept sealed.
        await saveSsoSession(trx, {
          session_id_hash: session.idHash,
          user_id: userId,
          id_token: tokens.idToken,
          created_at: now,
          id_token_expires_at: tokens.expiresAt,
          refresh_token: tokens.refreshToken ? this.box.seal(tokens.refreshToken, session.idHash) : null,
          refresh_claimed_until: null,
        });
        result = { session };
      }
      await this.audit.record(
        {
          actor: username,
          action: 'auth.sso',
          outcome: 'succeeded',
          detail: {
            ip,
            issuer: this.issuer,
            subject,
            groups,
            bindings: bindings.map((b) => ({ role: b.role, cluster: b.clusterPattern, namespace: b.namespacePattern })),
            created,
            via,
          },
        },
        trx,
      );
      return { refused: null, ...result };
    });
    if (outcome.refused === 'disabled')
      return this.refuse('disabled', `user "${username}" is disabled`, ip, { subject, via });
    if (outcome.refused === 'username_taken')
      return this.refuse(
        'username_taken',
        `"${username}" is a local account; an administrator must delete or rename it before it can sign in with SSO`,
        ip,
        { subject, via },
      );
    this.idpGroups?.set(username, groups);
    if (outcome.cliCode !== undefined && attempt.cli_redirect !== null) {
      const back = new URL(attempt.cli_redirect);
      back.searchParams.set('code', outcome.cliCode);
      back.searchParams.set('state', attempt.cli_state ?? '');
      return ok({ kind: 'cli', username, redirect: back.toString() });
    }
    if (!outcome.session) throw new Error('SSO sign-in made neither a session nor a CLI code');
    return ok({ kind: 'browser', username, session: outcome.session, returnTo: attempt.return_to });
  }

  /** The CLI's exchange: its one-time code and the PKCE verifier of the challenge it started with → an API token. */
  async exchangeCliCode(input: {
    code: string;
    codeVerifier: string;
    name: string;
    ip: string;
  }): Promise<Result<{ token: string; username: string; expiresAt: number | null }>> {
    const row = await takeCliCode(this.db, sha256Hex(input.code));
    if (!row || row.expires_at <= Date.now())
      return this.refuse('cli_code_rejected', 'unknown, used or expired code', input.ip, { via: 'cli' });
    if (!safeEqual(s256(input.codeVerifier), row.cli_challenge))
      return this.refuse(
        'cli_code_rejected',
        'the code verifier does not match the challenge the sign-in started with',
        input.ip,
        { via: 'cli' },
      );
    const user = await findUserById(this.db, row.user_id);
    if (!user || user.disabled === 1) return this.refuse('disabled', 'the user is disabled', input.ip, { via: 'cli' });
    return ok(
      await this.db.transaction().execute(async (trx) => {
        const created = await createApiToken(trx, {
          userId: user.id,
          name: input.name,
          expiresInDays: this.cliTokenDays,
        });
        await this.audit.record(
          {
            actor: user.username,
            action: 'token.create',
            outcome: 'succeeded',
            detail: { tokenId: created.id, name: created.name, expiresAt: created.expiresAt },
          },
          trx,
        );
        return { token: created.token, username: user.username, expiresAt: created.expiresAt };
      }),
    );
  }

  /** The provider's end-session URL for the caller's SSO session (null: not an SSO session, or no such endpoint). */
  async endSessionUrl(principal: Principal): Promise<string | null> {
    if (principal.sessionIdHash === undefined) return null;
    const idToken = await ssoSessionToken(this.db, principal.sessionIdHash);
    if (idToken === undefined) return null;
    try {
      return await this.provider.endSessionUrl(idToken);
    } catch {
      return null; // the provider is down: the local session still ends
    }
  }

  async ssoView(userId: string): Promise<SsoView | null> {
    const identity = await identityOfUser(this.db, userId);
    if (!identity) return null;
    const groups: unknown = JSON.parse(identity.groups);
    return {
      issuer: identity.issuer,
      subject: identity.subject,
      groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
      lastSignInAt: identity.last_sign_in_at,
      bindings: (await ssoBindingsOf(this.db, userId)).map((b) => ({ id: b.bindingId, group: b.group })),
    };
  }
}
