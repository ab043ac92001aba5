// The hub's side of the OpenID Connect protocol, all of it done by
// openid-client: discovery, the authorization URL (PKCE S256, state, nonce),
// the code exchange with every ID token check (signature against the
// provider's JWKS, issuer, audience, expiry, nonce, state), the refresh grant
// that renews an SSO session (offline_access is asked for when the provider
// offers it), and the end-session URL for RP-initiated logout. This file only classifies the
// library's refusals into the reasons the API reports.
import * as client from 'openid-client';
import { DEFAULT_SCOPES, postLogoutUriOf, redirectUriOf, type OidcSettings } from './oidc-settings.js';

/** Why a completed redirect did not become a sign-in (API error sso_failed's `reason`). */
export type SsoFailureReason =
  | 'bad_state'
  | 'state_expired'
  | 'idp_error'
  | 'code_rejected'
  | 'token_rejected'
  | 'missing_claim'
  | 'invalid_username'
  | 'username_taken'
  | 'disabled'
  | 'cli_code_rejected';

export class SsoError extends Error {
  constructor(
    readonly reason: SsoFailureReason | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

export interface ExchangedTokens {
  idToken: string;
  claims: Record<string, unknown>;
  /** When the ID token expires (its `exp`, ms). */
  expiresAt: number;
  /** Absent when the provider gave none (no offline_access): the session ends with the ID token. */
  refreshToken?: string;
}

/** Why a refresh did not renew a session: refused by the provider (revoked, user gone), a bad token, or unreachable. */
export class RefreshError extends Error {
  constructor(
    readonly reason: 'refresh_rejected' | 'token_rejected' | 'subject_changed' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

const isLoopback = (url: string): boolean => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);

export class OidcProvider {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(readonly settings: OidcSettings) {}

  get scopes(): string[] {
    return this.settings.scopes ?? DEFAULT_SCOPES;
  }

  /**
   * The scopes asked for: configured ones as given; by default, the default
   * scopes and offline_access (a refresh token, so the session can be renewed)
   * when the provider offers it.
   */
  private scopesFor(config: client.Configuration): string[] {
    if (this.settings.scopes) return this.settings.scopes;
    const offered = config.serverMetadata().scopes_supported ?? [];
    return offered.includes('offline_access') ? [...DEFAULT_SCOPES, 'offline_access'] : DEFAULT_SCOPES;
  }

  /** Discovery, once; a failure is not cached, so the next sign-in tries again. */
  private config(): Promise<client.Configuration> {
    this.configuration ??= (async () => {
      const s = this.settings;
      // http is allowed only for a provider on this machine (tests, the demo); anything else must be https.
      const options: client.DiscoveryRequestOptions = {
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- deliberate, and only for a loopback issuer
        ...(isLoopback(s.issuer) ? { execute: [client.allowInsecureRequests] } : {}),
        ...(s.fetch ? { [client.customFetch]: s.fetch } : {}),
      };
      const config = await client.discovery(
        new URL(s.issuer),
        s.clientId,
        { client_secret: s.clientSecret, [client.clockSkew]: s.clockSkewSeconds ?? 0 },
        client.ClientSecretBasic(s.clientSecret),
        options,
      );
      if (s.fetch) config[client.customFetch] = s.fetch;
      return config;
    })().catch((err: unknown) => {
      this.configuration = null;
      throw new SsoError('unavailable', `discovery at ${this.settings.issuer} failed: ${describe(err)}`);
    });
    return this.configuration;
  }

  async authorizationUrl(input: { state: string; nonce: string; codeVerifier: string }): Promise<string> {
    const config = await this.config();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUriOf(this.settings),
      scope: this.scopesFor(config).join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(input.codeVerifier),
      code_challenge_method: 'S256',
      state: input.state,
      nonce: input.nonce,
    });
    return url.toString();
  }

  /**
   * Exchanges the code of a callback (its query string as received) and checks the ID token.
   * Throws SsoError with the reason.
   */
  async exchange(
    query: URLSearchParams,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<ExchangedTokens> {
    const config = await this.config();
    // The redirect URI as registered (behind a proxy the request URL differs), with the query as received.
    const current = new URL(redirectUriOf(this.settings));
    current.search = query.toString();
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!tokens.id_token || !claims) throw new SsoError('token_rejected', 'the provider returned no ID token');
      return {
        idToken: tokens.id_token,
        claims: { ...claims },
        expiresAt: claims.exp * 1000,
        ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      };
    } catch (err) {
      throw classify(err);
    }
  }

  /**
   * The refresh grant: a new ID token (checked like the first: signature,
   * issuer, audience, expiry) for the same subject, and the refresh token to
   * use next (the provider may rotate it). Throws RefreshError.
   */
  async refresh(refreshToken: string, subject: string): Promise<ExchangedTokens> {
    let config: client.Configuration;
    try {
      config = await this.config();
    } catch (err) {
      throw new RefreshError('unavailable', describe(err));
    }
    try {
      const tokens = await client.refreshTokenGrant(config, refreshToken);
      const claims = tokens.claims();
      if (!tokens.id_token || !claims)
        throw new RefreshError('token_rejected', 'the provider renewed the session without an ID token');
      if (claims.sub !== subject)
        throw new RefreshError('subject_changed', `the renewed ID token names subject ${claims.sub}, not ${subject}`);
      return {
        idToken: tokens.id_token,
        claims: { ...claims },
        expiresAt: claims.exp * 1000,
        refreshToken: tokens.refresh_token ?? refreshToken,
      };
    } catch (err) {
      if (err instanceof RefreshError) throw err;
      if (err instanceof client.ResponseBodyError)
        throw new RefreshError(
          'refresh_rejected',
          `the provider refused the refresh token: ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
        );
      const c = classify(err);
      throw new RefreshError(c.reason === 'unavailable' ? 'unavailable' : 'token_rejected', c.message);
    }
  }

  /** The provider's end-session URL for this ID token, or null when it offers none. */
  async endSessionUrl(idToken: string): Promise<string | null> {
    const config = await this.config();
    if (!config.serverMetadata().end_session_endpoint) return null;
    return client
      .buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutUriOf(this.settings) })
      .toString();
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function classify(err: unknown): SsoError {
  if (err instanceof SsoError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    return new SsoError(
      'idp_error',
      `the provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    );
  }
  if (err instanceof client.ResponseBodyError) {
    // The token endpoint refused the code: used before, expired, or issued to another client.
    return new SsoError(
      'code_rejected',
      `the token endpoint answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    );
  }
  // fetch failed: the provider (or the network to it) is down.
  if (err instanceof TypeError || (err instanceof Error && err.cause instanceof TypeError))
    return new SsoError('unavailable', describe(err));
  // Everything the library checks on the ID token: signature, iss, aud, exp/iat, nonce, state.
  return new SsoError('token_rejected', describe(err));
}
