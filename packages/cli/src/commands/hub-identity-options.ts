// `wheelhouse hub` flags for single sign-on (docs/sso.md) and just-in-time access (docs/access.md): each also reads an
// environment variable, which is how the hub chart sets them.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { LocalAccountsPolicy, OidcSettings } from '@wheelhouse/hub';

export interface SsoFlags {
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecretFile?: string;
  oidcScopes?: string;
  oidcUsernameClaim: string;
  oidcGroupsClaim: string;
  oidcGroupMappings?: string;
  oidcProviderName?: string;
  publicUrl?: string;
  localAccounts: 'all' | 'break-glass';
  breakGlassUser: string;
  accessMaxDuration: string;
  accessPendingTtl: string;
  accessWebhookUrl?: string;
}

export function addIdentityOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--oidc-issuer <url>', 'OpenID Connect issuer URL: turns on single sign-on').env(
        'WHEELHOUSE_OIDC_ISSUER',
      ),
    )
    .addOption(
      new Option('--oidc-client-id <id>', "the hub's client id at the provider").env('WHEELHOUSE_OIDC_CLIENT_ID'),
    )
    .addOption(
      new Option('--oidc-client-secret-file <file>', 'file holding the client secret').env(
        'WHEELHOUSE_OIDC_CLIENT_SECRET_FILE',
      ),
    )
    .addOption(
      new Option(
        '--oidc-scopes <list>',
        'comma-separated scopes, taken as given (default: openid,profile,email,groups, and offline_access when the provider offers it, so SSO sessions renew)',
      ).env('WHEELHOUSE_OIDC_SCOPES'),
    )
    .addOption(
      new Option('--oidc-username-claim <claim>', 'ID token claim that becomes the username')
        .env('WHEELHOUSE_OIDC_USERNAME_CLAIM')
        .default('email'),
    )
    .addOption(
      new Option('--oidc-groups-claim <claim>', "ID token claim listing the person's groups")
        .env('WHEELHOUSE_OIDC_GROUPS_CLAIM')
        .default('groups'),
    )
    .addOption(
      new Option(
        '--oidc-group-mappings <file>',
        'JSON file of group mapping rules: [{"group","role","cluster","namespace"}]',
      ).env('WHEELHOUSE_OIDC_GROUP_MAPPINGS_FILE'),
    )
    .addOption(
      new Option('--oidc-provider-name <name>', 'the sign-in button says "Sign in with <name>"').env(
        'WHEELHOUSE_OIDC_PROVIDER_NAME',
      ),
    )
    .addOption(
      new Option('--public-url <url>', 'the URL browsers reach the hub at (redirect URIs derive from it)').env(
        'WHEELHOUSE_PUBLIC_URL',
      ),
    )
    .addOption(
      new Option('--local-accounts <mode>', 'password sign-in: all accounts, or only the break-glass administrator')
        .choices(['all', 'break-glass'])
        .env('WHEELHOUSE_LOCAL_ACCOUNTS')
        .default('all'),
    )
    .addOption(
      new Option('--break-glass-user <name>', 'the one local account that signs in with --local-accounts break-glass')
        .env('WHEELHOUSE_BREAK_GLASS_USER')
        .default('admin'),
    )
    .addOption(
      new Option('--access-max-duration <duration>', 'the longest just-in-time grant anyone may ask for')
        .env('WHEELHOUSE_ACCESS_MAX_DURATION')
        .default('8h'),
    )
    .addOption(
      new Option('--access-pending-ttl <duration>', 'how long an access request waits for a decision before it lapses')
        .env('WHEELHOUSE_ACCESS_PENDING_TTL')
        .default('24h'),
    )
    .addOption(
      new Option(
        '--access-webhook-url <url>',
        'Slack-compatible incoming webhook notified of access requests, decisions and ends',
      ).env('WHEELHOUSE_ACCESS_WEBHOOK_URL'),
    );
}

/** The hub's SSO settings from the flags; throws naming the flag that is missing or wrong. */
export async function ssoSettings(
  o: SsoFlags,
  listenUrl: string,
): Promise<{ oidc?: OidcSettings; localAccounts: LocalAccountsPolicy }> {
  const localAccounts: LocalAccountsPolicy = { mode: o.localAccounts, breakGlassUser: o.breakGlassUser.toLowerCase() };
  if (o.oidcIssuer === undefined) {
    if (o.localAccounts === 'break-glass')
      throw new Error(
        '--local-accounts break-glass needs single sign-on (--oidc-issuer), or nobody else could sign in',
      );
    return { localAccounts };
  }
  if (!o.oidcClientId) throw new Error('--oidc-issuer needs --oidc-client-id');
  if (!o.oidcClientSecretFile) throw new Error('--oidc-issuer needs --oidc-client-secret-file');
  const clientSecret = readFileSync(o.oidcClientSecretFile, 'utf8').trim();
  if (clientSecret === '') throw new Error(`--oidc-client-secret-file ${o.oidcClientSecretFile} is empty`);
  const { parseGroupMappings } = await import('@wheelhouse/hub');
  const groupMappings = o.oidcGroupMappings
    ? parseGroupMappings(readFileSync(o.oidcGroupMappings, 'utf8'), o.oidcGroupMappings)
    : [];
  const publicUrl = o.publicUrl ?? listenUrl;
  for (const [flag, url] of [
    ['--oidc-issuer', o.oidcIssuer],
    ['--public-url', publicUrl],
  ] as const) {
    if (!URL.canParse(url)) throw new Error(`${flag} ${url} is not a URL`);
  }
  return {
    localAccounts,
    oidc: {
      issuer: o.oidcIssuer,
      clientId: o.oidcClientId,
      clientSecret,
      publicUrl,
      usernameClaim: o.oidcUsernameClaim,
      groupsClaim: o.oidcGroupsClaim,
      groupMappings,
      ...(o.oidcScopes
        ? {
            scopes: o.oidcScopes
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {}),
      ...(o.oidcProviderName ? { providerName: o.oidcProviderName } : {}),
    },
  };
}
