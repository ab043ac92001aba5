// Each SSO user's identity-provider groups, for agents that impersonate: the
// agent link adds them to what it sends for a person (shell, log stream,
// object read, command) and the agent passes them to Kubernetes as
// Impersonate-Group, so the cluster's RBAC bound to an IdP group applies.
// The store is the truth (oidc_identities.groups, written at each sign-in and
// each session renewal), so every replica agrees whichever one saw the
// sign-in. Messages built while serving the person's own request use what
// that request's authentication read (prime); commands, sent by whichever
// replica holds the agent link, read the store when they are sent (of).
import type { HubDb } from '../store/db.js';

export class IdpGroups {
  private readonly byUser = new Map<string, string[]>();

  constructor(private readonly db: HubDb) {}

  /** After authenticating a request: the person's groups as the store has them now. */
  async prime(userId: string, username: string): Promise<void> {
    const row = await this.db
      .selectFrom('oidc_identities')
      .select('groups')
      .where('user_id', '=', userId)
      .orderBy('last_sign_in_at', 'desc')
      .executeTakeFirst();
    this.set(username, row ? parseGroups(row.groups) : []);
  }

  /** The person's groups read from the store now (commands), or undefined for none. */
  async of(username: string): Promise<string[] | undefined> {
    const row = await this.db
      .selectFrom('oidc_identities')
      .innerJoin('users', 'users.id', 'oidc_identities.user_id')
      .select('oidc_identities.groups')
      .where('users.username', '=', username)
      .orderBy('oidc_identities.last_sign_in_at', 'desc')
      .executeTakeFirst();
    const groups = row ? parseGroups(row.groups) : [];
    this.set(username, groups);
    return groups.length > 0 ? groups : undefined;
  }

  set(username: string, groups: readonly string[]): void {
    if (groups.length === 0) this.byUser.delete(username);
    else this.byUser.set(username, [...groups]);
  }

  /** As of the person's last request authenticated on this replica (or sign-in or renewal here). */
  get(username: string): string[] | undefined {
    return this.byUser.get(username);
  }
}

function parseGroups(json: string): string[] {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}
