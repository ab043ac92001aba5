// Table types for the hub's store (Kysely). SQLite is the embedded default;
// every column type here also maps to PostgreSQL, so a pg dialect can follow
// without touching callers. Times are epoch milliseconds; JSON is TEXT.
import type { Generated, Insertable, Selectable } from 'kysely';

export interface ClustersTable {
  id: string; // the cluster's name: [a-z0-9-], unique
  created_at: number;
  created_by: string;
  token_hash: string; // sha256 of the agent token; the token itself is shown once
  token_revoked_at: number | null;
  agent_version: string | null;
  kubernetes_version: string | null;
  capabilities: string; // JSON Capabilities
  last_seen_at: number | null;
  connected: number; // 0 | 1
  pod_security_level: Generated<string>; // PodSecurityLevel set by an admin; 'baseline' by default
}

export interface ResourcesTable {
  cluster_id: string;
  uid: string;
  kind: string;
  namespace: string; // '' for cluster-scoped kinds
  name: string;
  resource_version: string;
  data: string; // JSON InventoryItem
  updated_at: number;
  /** A pod's phase, a workload's health level (migration 020), '' for other kinds: the lists' status filter and sort (migration 013). */
  status: Generated<string>;
  /** The object's creation time (epoch ms): the lists' age sort. */
  created_at: Generated<number>;
  /** A pod's node, '' for other kinds and unscheduled pods: the Nodes page's counts (migration 017). */
  node: Generated<string>;
  /** The first owner reference as "Kind/name" ('' without one): a workload's pods (migration 020). */
  owner: Generated<string>;
  /** A pod's readiness (1/0) and restarts, 0 for other kinds: the Workloads page's counts (migration 020). */
  ready: Generated<number>;
  restarts: Generated<number>;
}

export interface TimelineEventsTable {
  seq: Generated<number>;
  id: string; // dedupe key per (cluster, namespace, kind, name) on SQLite, per cluster on PostgreSQL (migration 023): re-sent events are ignored
  cluster_id: string;
  time: number;
  type: string;
  severity: string;
  kind: string;
  namespace: string;
  name: string;
  owner_kind: string | null;
  owner_name: string | null;
  summary: string;
  data: string; // JSON
}

export interface CommandsTable {
  id: string;
  cluster_id: string;
  action: string;
  target_kind: string;
  target_namespace: string;
  target_name: string;
  params: string; // JSON
  reason: string | null;
  dry_run: number;
  requested_by: string;
  state: string; // CommandState
  message: string | null;
  result: string | null; // JSON
  created_at: number;
  updated_at: number;
  expires_at: number;
  dispatch_count: number;
  policy: string | null; // JSON WorkloadPolicy the command was authorized under
}

export interface CommandTransitionsTable {
  seq: Generated<number>;
  command_id: string;
  state: string;
  at: number;
  message: string | null;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string; // scrypt$N$r$p$salt$hash
  created_at: number;
  disabled: number;
  must_change_password: number;
  /** When a one-time password stops working (epoch ms); null for a chosen password. */
  password_expires_at: number | null;
}

export interface SessionsTable {
  id_hash: string; // sha256 of the cookie value
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface RoleBindingsTable {
  id: string;
  user_id: string;
  role: string; // BuiltinRole
  cluster_pattern: string; // '*' or a glob over cluster names
  namespace_pattern: string; // '*' or a glob over namespaces
  created_at: number;
  created_by: string;
  expires_at: number | null; // just-in-time grants end by themselves; null: until removed
}

/** Just-in-time access requests (src/access): a role on a scope for a time, decided by a peer. */
export interface AccessRequestsTable {
  id: string;
  requester_id: string;
  requester: string;
  role: string;
  cluster_pattern: string;
  namespace_pattern: string;
  duration_ms: number;
  reason: string;
  state: string; // pending | approved | denied | expired (grant ended) | lapsed (unanswered in time)
  created_at: number;
  pending_until: number | null; // pending: when it lapses unanswered
  decided_by: string | null;
  decided_at: number | null;
  comment: string | null;
  binding_id: string | null;
  expires_at: number | null; // approved: when the grant ends
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: number;
  actor: string;
  action: string;
  cluster_id: string | null;
  target: string | null; // JSON {kind, namespace, name}
  params: string | null; // JSON
  reason: string | null;
  outcome: string; // 'allowed' | 'denied' | 'succeeded' | 'failed' | …
  detail: string | null; // JSON
  key_id: string | null; // HMAC key of the record; null for records from before keys (audit/canonical.ts)
  prev_hash: string;
  hash: string; // hmac_sha256(key, prev_hash + canonical record), or sha256 before keys
}

/** Pod shell sessions (packages/hub/src/shell). */
export interface ShellSessionsTable {
  id: string; // UUID, also the id on the agent link
  cluster_id: string;
  namespace: string;
  pod: string;
  container: string;
  command: string; // JSON string[]; the default shell resolved once the agent opened it
  username: string;
  kube_user: string | null; // the Kubernetes identity of the exec when impersonated
  client_address: string;
  started_at: number;
  ended_at: number | null;
  end_reason: string | null; // a ShellEndReason: closed | idle | agent-lost | error | recording-limit | revoked | detached
  exit_code: number | null;
  recorded: number; // 0 | 1
  input_captured: number; // 0 | 1
  recording_bytes: number;
  recording_truncated: number; // 0 | 1
  recording_expired_at: Generated<number | null>; // when retention removed the recording (the record stays)
  replica_id: Generated<string | null>; // the hub replica relaying it (null: before 016_replicas)
  reattach_count: Generated<number>; // times the client took the session back after a reload or lost connection
}

/** asciicast v2 text of a session, in chunks appended as the session runs. */
export interface ShellRecordingsTable {
  session_id: string;
  seq: number;
  data: string;
}

/** Single sign-on (src/oidc): the IdP identity a user signed in with, and the groups of the last sign-in. */
export interface OidcIdentitiesTable {
  issuer: string;
  subject: string; // the ID token's sub
  user_id: string;
  groups: string; // JSON string[] of the last sign-in
  first_seen_at: number;
  last_sign_in_at: number;
}

/** Role bindings that group mapping made; replaced at each sign-in (manual bindings are not listed here). */
export interface SsoBindingsTable {
  binding_id: string;
  user_id: string;
  group_name: string; // the IdP group whose rule made it
}

/** An authorization request in flight: state, nonce and PKCE verifier, used once. */
export interface OidcLoginAttemptsTable {
  state_hash: string; // sha256 of the state parameter
  browser_hash: string; // sha256 of the wh_oidc cookie the browser got with it
  nonce: string;
  code_verifier: string;
  return_to: string;
  cli_redirect: string | null; // loopback URL of `wheelhouse login --sso`
  cli_state: string | null;
  cli_challenge: string | null; // the CLI's PKCE S256 challenge
  created_at: number;
  expires_at: number;
}

/** The ID token of an SSO session, for RP-initiated logout (id_token_hint). */
export interface OidcSessionsTable {
  session_id_hash: string; // sessions.id_hash
  user_id: string;
  id_token: string;
  created_at: number;
  /** The provider's refresh token, encrypted (oidc/refresh-token-box.ts); null: none was given. */
  refresh_token: string | null;
  /** When the current ID token expires (ms); null: a session from before 019 (not bounded). */
  id_token_expires_at: number | null;
  /** A replica renewing the session holds it until then (ms). */
  refresh_claimed_until: number | null;
}

/** A one-time code the CLI exchanges (with its PKCE verifier) for an API token. */
export interface OidcCliCodesTable {
  code_hash: string;
  user_id: string;
  cli_challenge: string;
  created_at: number;
  expires_at: number;
}

/** Health insights per cluster (hub/src/insights/): one row per (cluster, insight id), reopened in place. */
export interface InsightsTable {
  cluster_id: string;
  id: string;
  check_id: string;
  kind: string;
  namespace: string;
  name: string;
  owner_kind: string | null;
  owner_name: string | null;
  severity: string;
  title: string;
  fix: string;
  since: number;
  evidence: string; // JSON InsightEvidence[]
  action: string | null; // JSON InsightAction
  state: string; // 'open' | 'resolved'
  opened_at: number;
  resolved_at: number | null;
  updated_at: number;
}

/** Resource usage, one point per minute per node and per container (hub/src/usage/), kept a day. */
export interface UsageSamplesTable {
  cluster_id: string;
  kind: string; // 'Node' | 'Pod'
  namespace: string; // '' for nodes
  name: string;
  container: string; // '' for nodes
  minute: number; // epoch ms, start of the minute
  cpu: number; // millicores
  memory: number; // bytes
  request_cpu: number | null; // a node's allocatable, a container's request
  request_memory: number | null;
  limit_cpu: number | null;
  limit_memory: number | null;
}

/** Failed sign-ins per username/address and per address (auth/store-login-throttle.ts). */
export interface LoginThrottleTable {
  key: string; // JSON ['u', username, address] or ['a', address]
  failures: string; // JSON array of epoch ms
  locked_until: number;
  locks: number;
  updated_at: number;
}

/** A running hub process (replica) and its heartbeat: a stale heartbeat means it died. */
export interface HubReplicasTable {
  id: string;
  peer_url: string | null;
  started_at: number;
  heartbeat_at: number;
}

/** Which replica holds a cluster's agent link now (one row per connected cluster). */
export interface AgentLinksTable {
  cluster_id: string;
  replica_id: string;
  connected_at: number;
}

/** A notification rule (hub/src/notifications/): scope, what it sends, where, and its delivery record. */
export interface NotificationRulesTable {
  id: string;
  name: string;
  cluster_pattern: string;
  namespace_pattern: string;
  min_severity: string;
  events: string; // JSON array of NotificationEvent
  format: string;
  url: string; // a secret: never answered in full
  created_by: string;
  created_at: number;
  /** The last delivery (after retries): when, whether it worked, the HTTP status, the error, attempts. */
  last_at: number | null;
  last_ok: number | null;
  last_status: number | null;
  last_error: string | null;
  last_attempts: number | null;
  delivered: number;
  failed: number;
  suppressed: number;
  dropped: number;
}

/**
 * What each rule already sent, by dedupe key (an insight's id and state, an
 * event's id) and when: a key sent within the flap window is not sent again.
 * The row is the claim: whichever leader inserts it sends the message.
 */
export interface NotificationSentTable {
  rule_id: string;
  key: string;
  sent_at: number;
}

/** How far the notification dispatcher has read the timeline (one row, name 'timeline'). */
export interface NotificationCursorTable {
  name: string;
  seq: number;
}

export interface Database {
  notification_rules: NotificationRulesTable;
  notification_sent: NotificationSentTable;
  notification_cursor: NotificationCursorTable;
  hub_replicas: HubReplicasTable;
  agent_links: AgentLinksTable;
  clusters: ClustersTable;
  resources: ResourcesTable;
  timeline_events: TimelineEventsTable;
  commands: CommandsTable;
  command_transitions: CommandTransitionsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  role_bindings: RoleBindingsTable;
  audit_log: AuditLogTable;
  shell_sessions: ShellSessionsTable;
  shell_recordings: ShellRecordingsTable;
  oidc_identities: OidcIdentitiesTable;
  sso_bindings: SsoBindingsTable;
  oidc_login_attempts: OidcLoginAttemptsTable;
  oidc_sessions: OidcSessionsTable;
  oidc_cli_codes: OidcCliCodesTable;
  access_requests: AccessRequestsTable;
  insights: InsightsTable;
  usage_samples: UsageSamplesTable;
  login_throttle: LoginThrottleTable;
}

export type ClusterRow = Selectable<ClustersTable>;
export type CommandRow = Selectable<CommandsTable>;
export type NewCommand = Insertable<CommandsTable>;
export type TimelineRow = Selectable<TimelineEventsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type UserRow = Selectable<UsersTable>;
export type ShellSessionRow = Selectable<ShellSessionsTable>;
