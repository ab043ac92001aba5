// Impersonation mode: the agent acts as the requesting Wheelhouse user's mapped
// Kubernetes identity, so Kubernetes RBAC decides per person and the API
// server's audit log names the real user (the agent's ServiceAccount needs
// `impersonate` on users and groups; the chart grants it with impersonation.enabled).
import type { RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';

export interface KubeIdentity {
  user: string;
  groups: string[];
}

/** How Wheelhouse usernames become Kubernetes identities. */
export interface ImpersonationMapping {
  /** Wheelhouse user "alice" acts as Kubernetes user `${userPrefix}alice`. */
  userPrefix: string;
  /** Groups every impersonated request carries (bind your RBAC to these or to the users). */
  groups: string[];
}

export const DEFAULT_IMPERSONATION: ImpersonationMapping = { userPrefix: 'wheelhouse:', groups: ['wheelhouse:users'] };

/** The Kubernetes identity a Wheelhouse user acts as: `wheelhouse:<name>` in group `wheelhouse:users` by default. */
export function kubeIdentityFor(username: string, mapping: ImpersonationMapping = DEFAULT_IMPERSONATION): KubeIdentity {
  if (!username || username.startsWith('system:')) {
    // Never impersonate nobody (the agent's own identity would apply) nor a system identity.
    throw new Error(`cannot impersonate Wheelhouse user "${username}"`);
  }
  return { user: `${mapping.userPrefix}${username}`, groups: [...mapping.groups] };
}

/**
 * Header names for the n-th Impersonate-Group value. The typed clients send a
 * plain header record through node-fetch, which merges keys case-insensitively
 * into one multi-value header; distinct spellings are the only way to send the
 * header several times (one comma-joined value would be one group named "a,b").
 */
function groupHeaderName(n: number): string {
  const base = 'Impersonate-Group';
  if (n === 0) return base;
  let out = '';
  let bits = n;
  for (const ch of base.toLowerCase()) {
    if (/[a-z]/.test(ch)) {
      out += bits & 1 ? ch.toUpperCase() : ch;
      bits >>= 1;
    } else out += ch;
  }
  return out === base ? base.toUpperCase() : out;
}

/**
 * A KubeConfig with the same cluster and credentials as `base` whose every
 * request carries Impersonate-User/Impersonate-Group: typed API clients
 * (applySecurityAuthentication), watches and logs (applyToFetchOptions, which
 * calls applyToHTTPSOptions), exec/attach websockets and kubeRequest
 * (applyToHTTPSOptions).
 */
export class ImpersonatingKubeConfig extends k8s.KubeConfig {
  constructor(
    base: k8s.KubeConfig,
    readonly identity: KubeIdentity,
  ) {
    super();
    // Share the base's objects (in-cluster token files, exec plugins keep working).
    this.loadFromOptions({
      clusters: base.clusters,
      users: base.users,
      contexts: base.contexts,
      currentContext: base.currentContext,
    });
  }

  override async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const headers = (opts.headers ??= {}) as Record<string, string | string[] | number>;
    for (const k of Object.keys(headers)) if (/^impersonate-/i.test(k)) Reflect.deleteProperty(headers, k);
    headers['Impersonate-User'] = this.identity.user;
    // node:https sends an array as repeated header lines, one group each.
    if (this.identity.groups.length) headers['Impersonate-Group'] = [...this.identity.groups];
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam('Impersonate-User', this.identity.user);
    this.identity.groups.forEach((g, i) => context.setHeaderParam(groupHeaderName(i), g));
  }
}

export function impersonatingKubeConfig(base: k8s.KubeConfig, identity: KubeIdentity): ImpersonatingKubeConfig {
  return new ImpersonatingKubeConfig(base, identity);
}
