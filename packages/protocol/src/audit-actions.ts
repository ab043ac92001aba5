// Every action the audit log records: its id, the outcomes it can have and the
// shape of its `detail` (like Teleport's event codes). The hub appends only
// these (its AuditLog's input type is derived from this catalog); docs/api.md
// lists the same actions (a test keeps them equal). Zod-free.

export const AUDIT_OUTCOMES = ['allowed', 'denied', 'requested', 'succeeded', 'failed', 'rejected', 'expired'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Detail of a refused permission check. */
export type AccessDeniedDetail = {
  permission: string;
  scope: { cluster?: string; namespace?: string };
  method: string;
  route: string;
};

/** Detail of every just-in-time access record. */
export type AccessRequestDetail = {
  requestId: string;
  requester: string;
  role: string;
  cluster: string;
  namespace: string;
  durationMs: number;
  reason?: string;
  comment?: string;
  /** denied: why the hub refused the step (self_approval, not_pending, expired, forbidden). */
  error?: string;
};

/** The `detail` each action carries (null: none). */
export interface AuditDetails {
  access: AccessDeniedDetail;
  /** throttled/busy: refusals before any password check, one row per address (busy: per hub) and minute; `repeated` counts the rest. */
  'auth.login': {
    ip: string;
    reason?:
      | 'unknown_user'
      | 'wrong_password'
      | 'disabled'
      | 'one_time_password_expired'
      | 'throttled'
      | 'busy'
      | 'local_accounts_disabled';
    repeated?: number;
  };
  /** succeeded: the groups and the bindings they mapped to; failed: the sso_failed reason. */
  'auth.sso': {
    ip: string;
    issuer: string;
    reason?: string;
    message?: string;
    subject?: string;
    groups?: string[];
    bindings?: { role: string; cluster: string; namespace: string }[];
    created?: boolean;
    via?: 'browser' | 'cli';
  };
  /** An SSO session renewed with the refresh token: the groups now, the bindings they map to, those taken away. */
  'auth.sso_refresh': {
    issuer: string;
    subject: string;
    groups: string[];
    bindings: { role: string; cluster: string; namespace: string }[];
    removed: { role: string; cluster: string; namespace: string }[];
    idTokenExpiresAt: number;
  };
  /** An SSO session the provider no longer vouches for (expired: no refresh token; failed: refresh refused). */
  'auth.sso_session_end': {
    issuer?: string;
    subject?: string;
    reason:
      | 'id_token_expired'
      | 'refresh_rejected'
      | 'token_rejected'
      | 'subject_changed'
      | 'refresh_token_unreadable'
      | 'groups_invalid';
    message: string;
  };
  'auth.logout': { via: 'session' | 'token' };
  'auth.password_change': { reason: 'wrong_password' | 'one_time_password_expired' } | null;
  /** Just-in-time access: a request, its decision and the end of the grant it made. */
  'access.request': AccessRequestDetail;
  'access.approve': AccessRequestDetail & { bindingId?: string; expiresAt?: number };
  'access.deny': AccessRequestDetail;
  'access.expire': AccessRequestDetail & { bindingId: string; shellsEnded: number };
  'access.lapse': AccessRequestDetail & { pendingUntil: number };
  'token.create':
    { tokenId: string; name: string; expiresAt: number | null } | { reason: 'wrong_password'; ip: string };
  'token.revoke': { tokenId: string; name: string };
  'user.create': {
    userId?: string;
    oneTimePassword: boolean;
    role?: string;
    cluster?: string;
    namespace?: string;
  };
  'user.update': { userId: string; disabled?: boolean; passwordReset?: boolean };
  'user.delete': { userId: string };
  'binding.create': { bindingId: string; role: string; cluster: string; namespace: string };
  'binding.delete': { bindingId: string; role: string; cluster: string; namespace: string };
  'cluster.create': null;
  'cluster.delete': null;
  'cluster.token.revoke': null;
  'cluster.token.rotate': null;
  'cluster.pod-security': { from: string; to: string };
  /** A notification rule (docs/notifications.md): never its URL, which holds a token. */
  'notification.rule.create': { ruleId: string; name: string; cluster: string; namespace: string; format: string };
  'notification.rule.delete': { ruleId: string; name: string; cluster: string; namespace: string; format: string };
  /** allowed: no detail; rejected: the API error code; denied: the permission check's detail. */
  'shell.start': { error: string } | AccessDeniedDetail | null;
  /** allowed: who joined whose session, how; denied: the permission check; rejected: the API error code. */
  'shell.join':
    | { sessionId: string; mode: 'observer' | 'peer'; owner: string }
    | { error: string; sessionId: string; mode: 'observer' | 'peer' }
    | AccessDeniedDetail;
  'shell.end': {
    durationMs: number;
    exitCode: number | null;
    reason: string;
    /** A recorded session: the recording's size, its cap, and whether the cap ended the session. */
    recording?: { bytes: number; capBytes: number; full: boolean };
  };
  /** A detached session taken back by its user: how long it was detached, how much scrollback was replayed. */
  'shell.reattach': { detachedMs: number; scrollbackBytes: number };
  /** allowed: the stream's options; rejected: the API error code; denied: the permission check's detail. */
  'logs.open':
    | { streamId: string; follow: boolean; previous: boolean; tailLines: number | null; sinceSeconds: number | null }
    | { error: string }
    | AccessDeniedDetail;
  /** allowed: the stream's options; rejected: the API error code; denied: the permission check's detail. */
  'logs.open_workload':
    | {
        streamId: string;
        follow: boolean;
        container: string | null;
        tailLines: number | null;
        sinceSeconds: number | null;
      }
    | { error: string }
    | AccessDeniedDetail;
  /** allowed: the connection opened (port, connection id); rejected: the API error code; denied: the permission check's detail. */
  'portforward.open':
    | { connId: string; port: number }
    | { forwardId: string; port: number; via: 'browser' }
    | { error: string }
    | AccessDeniedDetail;
  /** A refused WebSocket upgrade; `repeated`: further refusals of the same user and origin in that minute (summary row). */
  'websocket.open': { reason: 'origin'; origin: string | null; route: string; ip: string; repeated?: number };
  /** A refused connection to the replicas' internal peer route; `repeated`: more from that address and reason that minute. */
  'peer.connect': {
    reason: 'missing' | 'invalid' | 'expired' | 'unknown_replica' | 'not_configured';
    route: string;
    ip: string;
    repeated?: number;
  };
  /** `action:<id>`, one per catalog action (a command's request and its end). */
  'action:*': CommandAuditDetail;
  /** `preview:<id>`: a dry run of a catalog action; nothing was applied. */
  'preview:*': CommandAuditDetail;
}

/** Detail of a command's audit records (`action:<id>` and `preview:<id>`). */
export type CommandAuditDetail = {
  commandId: string;
  dryRun: boolean;
  message?: string | null;
  /** On `requested`: the Pod Security Standards level and Secret-reference access the request was checked under. */
  policy?: { podSecurity: string; secretReferences: boolean };
};

interface AuditActionSpec {
  outcomes: readonly AuditOutcome[];
  /** One line for docs/api.md. */
  meaning: string;
}

export const AUDIT_ACTIONS = {
  access: { outcomes: ['denied'], meaning: 'a refused permission check on a route without its own action' },
  'auth.login': {
    outcomes: ['succeeded', 'failed'],
    meaning:
      'sign-in (failed: with the reason, never the password; throttled/busy refusals aggregated per address and minute with a `repeated` count)',
  },
  'auth.logout': { outcomes: ['succeeded'], meaning: 'sign-out' },
  'auth.sso': {
    outcomes: ['succeeded', 'failed'],
    meaning:
      'single sign-on: succeeded with the IdP groups and the role bindings they mapped to (replacing the earlier SSO bindings); failed with the reason (bad state, replayed code, wrong audience, expired token, …)',
  },
  'auth.sso_refresh': {
    outcomes: ['succeeded'],
    meaning:
      "an SSO session's expired ID token was renewed with the provider's refresh token: the groups now, the bindings they map to and the ones taken away (whose shells and sockets were closed)",
  },
  'auth.sso_session_end': {
    outcomes: ['expired', 'failed'],
    meaning:
      'an SSO session ended because the provider no longer vouches for it: expired (the ID token expired and there is no refresh token) or failed (the refresh was refused: revoked, user gone), with the reason',
  },
  'auth.password_change': { outcomes: ['succeeded', 'failed'], meaning: 'a user changed their own password' },
  'access.request': {
    outcomes: ['requested'],
    meaning: 'someone asked for a role on a scope for a time, with a reason (just-in-time access)',
  },
  'access.approve': {
    outcomes: ['succeeded', 'denied'],
    meaning: 'a peer approved an access request (a binding that ends by itself), or was refused approving it',
  },
  'access.deny': { outcomes: ['succeeded', 'denied'], meaning: 'a peer denied an access request, with a comment' },
  'access.expire': {
    outcomes: ['expired'],
    meaning: 'a just-in-time grant ended: its binding is gone and shells opened under it were closed',
  },
  'access.lapse': {
    outcomes: ['expired'],
    meaning: 'a pending access request expired unanswered (nobody decided it in time); it can no longer be approved',
  },
  'token.create': {
    outcomes: ['succeeded', 'failed'],
    meaning: 'an API token was created (failed: the re-entered password was wrong)',
  },
  'token.revoke': { outcomes: ['succeeded'], meaning: 'an API token was revoked' },
  'user.create': { outcomes: ['succeeded'], meaning: 'a user was created (with its first binding, if any)' },
  'user.update': { outcomes: ['succeeded'], meaning: 'a user was disabled, enabled or had the password reset' },
  'user.delete': { outcomes: ['succeeded'], meaning: 'a user was deleted' },
  'binding.create': { outcomes: ['succeeded'], meaning: 'a role was granted' },
  'binding.delete': { outcomes: ['succeeded'], meaning: 'a role binding was removed' },
  'notification.rule.create': {
    outcomes: ['succeeded'],
    meaning: 'a notification rule was added (its scope, severity and format; never its URL)',
  },
  'notification.rule.delete': { outcomes: ['succeeded'], meaning: 'a notification rule was removed' },
  'cluster.create': { outcomes: ['succeeded'], meaning: 'a cluster was registered' },
  'cluster.delete': { outcomes: ['succeeded'], meaning: 'a cluster was removed' },
  'cluster.token.revoke': { outcomes: ['succeeded'], meaning: "a cluster's agent token was revoked" },
  'cluster.token.rotate': { outcomes: ['succeeded'], meaning: "a cluster's agent token was replaced" },
  'cluster.pod-security': {
    outcomes: ['succeeded'],
    meaning: "a cluster's Pod Security Standards level for actions was changed (from, to)",
  },
  'shell.start': {
    outcomes: ['allowed', 'denied', 'rejected'],
    meaning: 'a pod shell was opened, refused (permission) or rejected (tier, agent, pod, limit)',
  },
  'shell.join': {
    outcomes: ['allowed', 'denied', 'rejected'],
    meaning:
      'someone joined a live pod shell as observer or peer (who, whose session), was refused (permission) or rejected (no such live session, the participant limit)',
  },
  'shell.end': { outcomes: ['succeeded', 'failed', 'denied'], meaning: 'a pod shell ended' },
  'shell.reattach': {
    outcomes: ['succeeded'],
    meaning: 'a detached pod shell (page reload, lost connection) was taken back by its user within the grace period',
  },
  'websocket.open': {
    outcomes: ['denied'],
    meaning:
      'a WebSocket upgrade refused for its Origin (foreign, or missing on a cookie session); repeats within a minute are counted in one summary row (`repeated`)',
  },
  'peer.connect': {
    outcomes: ['denied'],
    meaning:
      "a connection to the replicas' internal peer route refused: no or a wrong peer signature, too old, from no live replica, or no peer secret configured; repeats within a minute are counted in one summary row (`repeated`)",
  },
  'logs.open': {
    outcomes: ['allowed', 'denied', 'rejected'],
    meaning:
      'a container log stream was opened (who, pod, container), refused (permission) or rejected (agent, pod, container, limit)',
  },
  'logs.open_workload': {
    outcomes: ['allowed', 'denied', 'rejected'],
    meaning:
      "a workload's merged log stream (all its pods' containers) was opened, refused (permission) or rejected (agent, workload, limit)",
  },
  'portforward.open': {
    outcomes: ['allowed', 'denied', 'rejected'],
    meaning:
      'a forwarded TCP connection to a pod port, or a browser tab on one (detail via browser, once per opening), was opened (who, pod, port), refused (permission) or rejected (tier, agent, pod, limit)',
  },
  'action:*': {
    outcomes: ['requested', 'succeeded', 'failed', 'rejected', 'expired'],
    meaning: 'a command (`action:scale`, …): its request, then its terminal state',
  },
  'preview:*': {
    outcomes: ['requested', 'succeeded', 'failed', 'rejected', 'expired'],
    meaning:
      'a dry run (`preview:scale`, …) that an action dialog or `--dry-run` asked for: nothing applied; kept out of the timeline and, by default, the Actions list',
  },
} as const satisfies Record<keyof AuditDetails, AuditActionSpec>;

export type AuditActionKey = keyof typeof AUDIT_ACTIONS;
const isAuditActionKey = (k: string): k is AuditActionKey => Object.hasOwn(AUDIT_ACTIONS, k);
export const AUDIT_ACTION_KEYS: AuditActionKey[] = Object.keys(AUDIT_ACTIONS).filter(isAuditActionKey);

/** The stored action name: the key itself, or `action:<id>` / `preview:<id>` for commands. */
export type AuditActionName<K extends AuditActionKey> = K extends 'action:*'
  ? `action:${string}`
  : K extends 'preview:*'
    ? `preview:${string}`
    : K;
export type AuditOutcomeOf<K extends AuditActionKey> = (typeof AUDIT_ACTIONS)[K]['outcomes'][number];

/** The audit action of a command of catalog action `id`: a dry run is a `preview:`, not an action taken. */
export function commandAuditAction(id: string, dryRun: true): `preview:${string}`;
export function commandAuditAction(id: string, dryRun?: false): `action:${string}`;
export function commandAuditAction(id: string, dryRun?: boolean): `action:${string}` | `preview:${string}`;
export function commandAuditAction(id: string, dryRun = false): `action:${string}` | `preview:${string}` {
  return dryRun ? `preview:${id}` : `action:${id}`;
}
