// SSO sessions last as long as the identity provider says, not as long as a
// local one: when the ID token expires, the next request (or the leader's
// sweep) renews it with the refresh token and applies the person's groups
// again — a group the provider removed takes its bindings, and the shells
// and sockets they allowed, at once. A refused refresh (revoked, user gone)
// or an expired ID token without a refresh token ends the session, audited.
// One replica renews a session at a time (a short claim in the store); the
// others wait for its outcome.
import type { AuditLog } from '../audit/audit-log.js';
import { findUserById } from '../auth/identity-store.js';
import type { HubDb } from '../store/db.js';
import type { IdpGroups } from './idp-groups.js';
import { mappedBindings } from './group-mapping.js';
import { RefreshError, type OidcProvider } from './oidc-provider.js';
import { groupsFromClaims, replaceSsoBindings } from './oidc-store.js';
import type { RefreshTokenBox } from './refresh-token-box.js';

/** How long a replica may hold a session while it renews it. */
const CLAIM_MS = 30_000;
/** How long a request waits for another replica's renewal before it gives up (401 this time). */
const WAIT_MS = 10_000;
const WAIT_STEP_MS = 150;
/** Sessions renewed per sweep. */
const SWEEP_BATCH = 100;

export type SessionEndReason =
  | 'id_token_expired'
  | 'refresh_rejected'
  | 'token_rejected'
  | 'subject_changed'
  | 'refresh_token_unreadable'
  | 'groups_invalid';

export interface SsoSessionsDeps {
  db: HubDb;
  audit: AuditLog;
  provider: OidcProvider;
  box: RefreshTokenBox;
  idpGroups?: IdpGroups;
  /** A renewal took bindings away: end what they allowed (shells, sockets). Returns shells ended. */
  onAccessNarrowed?: (userId: string, username: string) => Promise<number>;
  /** The session ended: close its sockets at once (on every replica: the socket registry tells the others). */
  onSessionEnded?: (sessionIdHash: string, reason: string) => void;
  onError?: (err: unknown, msg: string) => void;
}

type Outcome = { alive: true } | { alive: false; message: string };

export class SsoSessions {
  private readonly renewing = new Map<string, Promise<Outcome>>();

  constructor(private readonly deps: SsoSessionsDeps) {}

  /**
   * For the auth hook, when a session's ID token has expired: null when the
   * session goes on (renewed here or by another replica), else why it does not.
   */
  async ensureFresh(sessionIdHash: string): Promise<string | null> {
    let running = this.renewing.get(sessionIdHash);
    if (!running) {
      running = this.renew(sessionIdHash).finally(() => this.renewing.delete(sessionIdHash));
      this.renewing.set(sessionIdHash, running);
    }
    const outcome = await running;
    return outcome.alive ? null : outcome.message;
  }

  /** The leader's sweep: renews (or ends) sessions whose ID token expired, so access narrows without a request. */
  async renewDue(now = Date.now()): Promise<number> {
    const due = await this.deps.db
      .selectFrom('oidc_sessions')
      .innerJoin('sessions', 'sessions.id_hash', 'oidc_sessions.session_id_hash')
      .select('oidc_sessions.session_id_hash')
      .where('oidc_sessions.id_token_expires_at', '<=', now)
      .where((eb) =>
        eb.or([
          eb('oidc_sessions.refresh_claimed_until', 'is', null),
          eb('oidc_sessions.refresh_claimed_until', '<', now),
        ]),
      )
      .limit(SWEEP_BATCH)
      .execute();
    for (const r of due) await this.ensureFresh(r.session_id_hash);
    return due.length;
  }

  private async renew(sessionIdHash: string): Promise<Outcome> {
    const { db } = this.deps;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const now = Date.now();
      const row = await db
        .selectFrom('oidc_sessions')
        .innerJoin('sessions', 'sessions.id_hash', 'oidc_sessions.session_id_hash')
        .selectAll('oidc_sessions')
        .where('oidc_sessions.session_id_hash', '=', sessionIdHash)
        .executeTakeFirst();
      if (!row) return { alive: false, message: 'the SSO session has ended; sign in again' };
      if (row.id_token_expires_at === null || row.id_token_expires_at > now) return { alive: true };
      const claimed = await db
        .updateTable('oidc_sessions')
        .set({ refresh_claimed_until: now + CLAIM_MS })
        .where('session_id_hash', '=', sessionIdHash)
        .where('id_token_expires_at', '<=', now)
        .where((eb) => eb.or([eb('refresh_claimed_until', 'is', null), eb('refresh_claimed_until', '<', now)]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) return this.renewClaimed(row);
      // Another replica is renewing it: its outcome is ours.
      if (Date.now() > deadline)
        return { alive: false, message: 'the SSO session is being renewed elsewhere; try again' };
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
    }
  }

  private async renewClaimed(row: {
    session_id_hash: string;
    user_id: string;
    refresh_token: string | null;
    id_token_expires_at: number | null;
  }): Promise<Outcome> {
    const { db, audit, provider, box } = this.deps;
    const identity = await db
      .selectFrom('oidc_identities')
      .innerJoin('users', 'users.id', 'oidc_identities.user_id')
      .select(['oidc_identities.subject', 'oidc_identities.issuer', 'users.username'])
      .where('oidc_identities.user_id', '=', row.user_id)
      .orderBy('oidc_identities.last_sign_in_at', 'desc')
      .executeTakeFirst();
    const user = await findUserById(db, row.user_id);
    if (!identity || !user) return this.end(row, 'refresh_rejected', 'the SSO identity is gone', undefined);
    if (row.refresh_token === null)
      return this.end(
        row,
        'id_token_expired',
        'the ID token expired and the provider gave no refresh token; sign in again',
        identity,
      );
    const refreshToken = box.open(row.refresh_token, row.session_id_hash);
    if (refreshToken === null)
      return this.end(
        row,
        'refresh_token_unreadable',
        'the stored refresh token does not open with the current client secret; sign in again',
        identity,
      );

    let tokens;
    try {
      tokens = await provider.refresh(refreshToken, identity.subject);
    } catch (err) {
      const e = err instanceof RefreshError ? err : new RefreshError('token_rejected', String(err));
      if (e.reason === 'unavailable') {
        // The provider cannot say: no access this time, but the session is not ended for an outage.
        await db
          .updateTable('oidc_sessions')
          .set({ refresh_claimed_until: null })
          .where('session_id_hash', '=', row.session_id_hash)
          .execute();
        this.deps.onError?.(e, 'renewing an SSO session failed: the provider is unreachable');
        return {
          alive: false,
          message: `the identity provider could not be reached to renew the session: ${e.message}`,
        };
      }
      return this.end(row, e.reason, e.message, identity);
    }

    const settings = provider.settings;
    const groups = groupsFromClaims(tokens.claims, settings.groupsClaim ?? 'groups');
    if (groups === null)
      return this.end(
        row,
        'groups_invalid',
        `the renewed ID token's "${settings.groupsClaim ?? 'groups'}" claim is not a list of group names`,
        identity,
      );
    const bindings = mappedBindings(settings.groupMappings ?? [], groups);
    const narrowed = await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('oidc_identities')
        .set({ groups: JSON.stringify(groups) })
        .where('issuer', '=', identity.issuer)
        .where('subject', '=', identity.subject)
        .execute();
      const { removed } = await replaceSsoBindings(trx, row.user_id, bindings);
      await trx
        .updateTable('oidc_sessions')
        .set({
          id_token: tokens.idToken,
          id_token_expires_at: tokens.expiresAt,
          refresh_token: tokens.refreshToken ? box.seal(tokens.refreshToken, row.session_id_hash) : null,
          refresh_claimed_until: null,
        })
        .where('session_id_hash', '=', row.session_id_hash)
        .execute();
      await audit.record(
        {
          actor: identity.username,
          action: 'auth.sso_refresh',
          outcome: 'succeeded',
          detail: {
            issuer: identity.issuer,
            subject: identity.subject,
            groups,
            bindings: bindings.map((b) => ({ role: b.role, cluster: b.clusterPattern, namespace: b.namespacePattern })),
            removed,
            idTokenExpiresAt: tokens.expiresAt,
          },
        },
        trx,
      );
      return removed.length > 0;
    });
    this.deps.idpGroups?.set(identity.username, groups);
    if (narrowed) await this.deps.onAccessNarrowed?.(row.user_id, identity.username);
    return { alive: true };
  }

  private async end(
    row: { session_id_hash: string; user_id: string },
    reason: SessionEndReason,
    message: string,
    identity: { issuer: string; subject: string; username: string } | undefined,
  ): Promise<Outcome> {
    const { db, audit } = this.deps;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sessions').where('id_hash', '=', row.session_id_hash).execute();
      await trx.deleteFrom('oidc_sessions').where('session_id_hash', '=', row.session_id_hash).execute();
      await audit.record(
        {
          actor: identity?.username ?? 'system',
          action: 'auth.sso_session_end',
          outcome: reason === 'id_token_expired' ? 'expired' : 'failed',
          detail: {
            ...(identity ? { issuer: identity.issuer, subject: identity.subject } : {}),
            reason,
            message,
          },
        },
        trx,
      );
    });
    this.deps.onSessionEnded?.(row.session_id_hash, `the SSO session ended: ${message}`);
    return { alive: false, message: `the SSO session ended: ${message}; sign in again` };
  }
}
