// Impersonation mode: the agent acts as the requesting Wheelhouse user's mapped
// Kubernetes identity, so Kubernetes RBAC decides per person and the API
// server's audit log names the real user (the agent's ServiceAccount needs
// `impersonate` on users and groups; the chart grants it with impersonation.enabled).
import type { RequestOptions } from 'node:https';
import type { KubeClientConfig } from './kube-config.js';

export interface KubeIdentity {
  user: string;
  groups: string[];
  /** Impersonate-Extra-<key> values (user-info extras the API server hands to admission webhooks). */
  extra?: Record<string, string[]>;
}

/** The user-info extra naming the person an agent request is for (exec guard reads it). */
export const ON_BEHALF_OF_EXTRA = 'wheelhouse.dev/on-behalf-of';

/**
 * With impersonation off: the agent still acts as itself, but says for whom.
 * It impersonates its own identity (a ServiceAccount keeps its groups by
 * itself; any other user re-sends its groups) with the on-behalf-of extra, so
 * Kubernetes RBAC is the agent's own and admission webhooks (exec guard) see
 * the person. Needs `impersonate` on the agent's own ServiceAccount and on
 * `userextras/wheelhouse.dev/on-behalf-of` (protocol/rbac.ts onBehalfOfRbacRules).
 */
export function onBehalfOfIdentity(self: { username: string; groups: string[] }, person: string): KubeIdentity {
  if (!person) throw new Error('an on-behalf-of request needs the person');
  const serviceAccount = self.username.startsWith('system:serviceaccount:');
  return {
    user: self.username,
    // system:authenticated is added by the API server to every impersonated identity.
    groups: serviceAccount ? [] : self.groups.filter((g) => g !== 'system:authenticated'),
    extra: { [ON_BEHALF_OF_EXTRA]: [person] },
  };
}

/** Header name of an extra: its key percent-encoded (a '/' is not allowed in a header name). */
const extraHeader = (key: string): string => `Impersonate-Extra-${encodeURIComponent(key)}`;

/** How Wheelhouse usernames become Kubernetes identities. */
export interface ImpersonationMapping {
  /** Wheelhouse user "alice" acts as Kubernetes user `${userPrefix}alice`. */
  userPrefix: string;
  /** Groups every impersonated request carries (bind your RBAC to these or to the users). */
  groups: string[];
  /**
   * The identity-provider groups passed on as they are (Impersonate-Group) when
   * the person is in them at their last SSO sign-in: bind RBAC to Group "sre".
   * Only these: the agent's RBAC may impersonate exactly the groups it sends.
   */
  idpGroups?: string[];
}

export const DEFAULT_IMPERSONATION: ImpersonationMapping = { userPrefix: 'wheelhouse:', groups: ['wheelhouse:users'] };

/**
 * The Kubernetes identity a Wheelhouse user acts as: `wheelhouse:<name>` in
 * group `wheelhouse:users` by default, plus those of the person's IdP groups
 * (from the hub) that the mapping allows — never a `system:` group.
 */
export function kubeIdentityFor(
  username: string,
  mapping: ImpersonationMapping = DEFAULT_IMPERSONATION,
  personGroups: readonly string[] = [],
): KubeIdentity {
  if (!username || username.startsWith('system:')) {
    // Never impersonate nobody (the agent's own identity would apply) nor a system identity.
    throw new Error(`cannot impersonate Wheelhouse user "${username}"`);
  }
  const allowed = new Set(mapping.idpGroups ?? []);
  const fromIdp = personGroups.filter((g) => allowed.has(g) && !g.startsWith('system:') && !mapping.groups.includes(g));
  return { user: `${mapping.userPrefix}${username}`, groups: [...mapping.groups, ...fromIdp] };
}

/**
 * A config with the same cluster and credentials as `base` whose every request
 * carries Impersonate-User/-Group/-Extra: kubeRequest, watches (kubeWatch),
 * exec/attach and port-forward websockets, log streams — everything the agent
 * sends as a person goes through applyToHTTPSOptions.
 */
export class ImpersonatingKubeConfig implements KubeClientConfig {
  constructor(
    readonly base: KubeClientConfig,
    readonly identity: KubeIdentity,
  ) {}

  getCurrentCluster(): { server: string } | null {
    return this.base.getCurrentCluster();
  }

  async applyToHTTPSOptions(opts: RequestOptions | import('ws').ClientOptions): Promise<void> {
    await this.base.applyToHTTPSOptions(opts);
    const headers = ((opts as RequestOptions).headers ??= {}) as Record<string, string | string[] | number>;
    for (const k of Object.keys(headers)) if (/^impersonate-/i.test(k)) Reflect.deleteProperty(headers, k);
    headers['Impersonate-User'] = this.identity.user;
    // node:https sends an array as repeated header lines, one group each.
    if (this.identity.groups.length) headers['Impersonate-Group'] = [...this.identity.groups];
    for (const [key, values] of Object.entries(this.identity.extra ?? {})) headers[extraHeader(key)] = [...values];
  }
}

export function impersonatingKubeConfig(base: KubeClientConfig, identity: KubeIdentity): ImpersonatingKubeConfig {
  return new ImpersonatingKubeConfig(base, identity);
}
