// Each SSO user's identity-provider groups as of their last sign-in, kept in
// memory so the agent link can add them to what it sends for a person (shell,
// log stream, object read, command) without a query per message: an agent in
// impersonation mode passes them to Kubernetes as Impersonate-Group, so the
// cluster's RBAC bound to an IdP group applies. Loaded at start, updated by
// every SSO sign-in (a replica learns another replica's sign-ins at restart).
import type { HubDb } from '../store/db.js';

export class IdpGroups {
  private readonly byUser = new Map<string, string[]>();

  async load(db: HubDb): Promise<void> {
    const rows = await db
      .selectFrom('oidc_identities')
      .innerJoin('users', 'users.id', 'oidc_identities.user_id')
      .select(['users.username', 'oidc_identities.groups', 'oidc_identities.last_sign_in_at'])
      .orderBy('oidc_identities.last_sign_in_at', 'asc')
      .execute();
    for (const r of rows) this.set(r.username, parseGroups(r.groups));
  }

  set(username: string, groups: readonly string[]): void {
    if (groups.length === 0) this.byUser.delete(username);
    else this.byUser.set(username, [...groups]);
  }

  get(username: string): string[] | undefined {
    return this.byUser.get(username);
  }
}

function parseGroups(json: string): string[] {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}
