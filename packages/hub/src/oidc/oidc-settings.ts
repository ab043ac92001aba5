// How the hub talks to its OpenID Connect provider, and whether local
// password accounts still sign in. Set by `wheelhouse hub` flags, environment
// variables or the hub chart; docs/sso.md lists them.
import type { GroupMappingRule } from './group-mapping.js';

export interface OidcSettings {
  /** The provider's issuer URL (discovery at <issuer>/.well-known/openid-configuration). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The hub's public URL as browsers reach it, e.g. https://wheelhouse.example.com (redirect URIs derive from it). */
  publicUrl: string;
  /** Default: openid profile email groups. */
  scopes?: string[];
  /** The ID token claim that becomes the Wheelhouse username (default: email). */
  usernameClaim?: string;
  /** The ID token claim that lists the person's groups (default: groups). */
  groupsClaim?: string;
  groupMappings?: GroupMappingRule[];
  /** What the console's button says: "Sign in with <name>" (default: SSO). */
  providerName?: string;
  /**
   * Seconds added to the hub's clock for token expiry checks (openid-client's clockSkew):
   * positive when the hub's clock runs behind the provider's. Default 0.
   */
  clockSkewSeconds?: number;
  /** How the hub reaches the provider (default: the global fetch), e.g. through a proxy. */
  fetch?: typeof fetch;
}

/** 'all': every local account signs in with a password; 'break-glass': only `breakGlassUser`. */
export interface LocalAccountsPolicy {
  mode: 'all' | 'break-glass';
  breakGlassUser?: string;
}

export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'groups'];
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';

export const redirectUriOf = (s: OidcSettings): string => new URL(OIDC_CALLBACK_PATH, s.publicUrl).toString();
/** Where the provider sends the browser after RP-initiated logout: the console's sign-in page. */
export const postLogoutUriOf = (s: OidcSettings): string => new URL('/login', s.publicUrl).toString();

export function localSignInAllowed(policy: LocalAccountsPolicy | undefined, username: string): boolean {
  return !policy || policy.mode === 'all' || username === policy.breakGlassUser;
}
