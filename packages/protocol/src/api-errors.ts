// Every error code the hub's API answers with: its one HTTP status, what it
// means (docs/api.md lists the same table; a test keeps them equal) and how its
// message is built. The hub raises errors only through this catalog; CLI and
// console read the same body type. Zod-free: the console imports it at runtime.

/** Where a request went wrong: `body.username`, `querystring.kind`, `params.replicas`. */
export interface ApiIssue {
  path: string;
  message: string;
}

/** The one error shape of the API: `{error, message, ...details}`. */
export interface ApiErrorBody {
  /** A code of API_ERRORS (clients should still accept codes they do not know). */
  error: string;
  message: string;
  /** invalid_request: every offending field. */
  issues?: ApiIssue[];
  /** forbidden: the permission that was missing and the scope it was checked on. */
  permission?: string;
  scope?: { cluster?: string; namespace?: string };
  [detail: string]: unknown;
}

interface ErrorSpec<A> {
  status: number;
  /** One line for docs/api.md. */
  meaning: string;
  message: (args: A) => string;
}

const spec = <A = undefined>(status: number, meaning: string, message: (args: A) => string): ErrorSpec<A> => ({
  status,
  meaning,
  message,
});

type Text = { message: string };
const asIs = (a: Text): string => a.message;

export const API_ERRORS = {
  invalid_request: spec<Text>(400, 'schema violation or an invalid value (see `issues`)', asIs),
  container_required: spec<{ namespace: string; pod: string; containers: readonly string[] }>(
    400,
    'the pod has several containers: choose one with `?container=` (`containers`)',
    (a) =>
      `pod ${a.namespace}/${a.pod} has ${a.containers.length} containers (${a.containers.join(', ')}): choose one with ?container=`,
  ),
  unauthenticated: spec<Text>(401, 'no credentials, or an invalid/revoked/expired token or session', asIs),
  invalid_credentials: spec(
    401,
    'sign-in failed (same answer for unknown user, wrong password, disabled user)',
    () => 'unknown username or wrong password',
  ),
  one_time_password_expired: spec<{ username: string; expiredAt: string }>(
    401,
    'the right one-time password, but after its expiry (24 h by default); an administrator must reset it',
    (a) => `the one-time password of "${a.username}" expired at ${a.expiredAt}; ask an administrator to reset it`,
  ),
  sso_failed: spec<{ reason: string; message: string }>(
    401,
    'single sign-on was refused: `reason` is bad_state, state_expired, idp_error, code_rejected, token_rejected, missing_claim, invalid_username, username_taken, disabled or cli_code_rejected',
    (a) => `single sign-on failed (${a.reason}): ${a.message}`,
  ),
  forbidden: spec<{ user: string; permission: string; scope: string }>(
    403,
    'authenticated but lacking a permission; the body names `permission` and `scope`',
    (a) => `${a.user} lacks permission '${a.permission}' on ${a.scope}`,
  ),
  csrf: spec<{ header: string; method: string }>(
    403,
    'cookie-authenticated unsafe request without the right `x-csrf-token`',
    (a) =>
      `missing or wrong ${a.header} header: cookie-authenticated ${a.method} requests must send the CSRF token from login or GET /api/v1/me`,
  ),
  password_change_required: spec(
    403,
    'signed in with a one-time password; change it first',
    () => 'this account signed in with a one-time password: change it with POST /api/v1/auth/password first',
  ),
  reauthentication_failed: spec(
    403,
    "creating an API token needs the caller's current password (`password`); it was wrong",
    () => 'the password is wrong: creating an API token needs your current password',
  ),
  origin_not_allowed: spec<Text>(
    403,
    "a WebSocket upgrade from a page that is not the hub's own (or an allowed origin), or with a session cookie and no Origin",
    asIs,
  ),
  local_accounts_disabled: spec<{ username: string }>(
    403,
    'password sign-in is turned off on this hub except for the break-glass administrator; sign in with SSO',
    (a) => `password sign-in is turned off for "${a.username}": sign in with single sign-on`,
  ),
  self_approval: spec<{ user: string }>(
    403,
    'an access request was approved or denied by the person who made it; a peer must decide',
    (a) => `${a.user} cannot decide their own access request: another person holding access:approve on its scope must`,
  ),
  wrong_current_password: spec(
    403,
    'a password change named the wrong current password',
    () => 'the current password is wrong',
  ),
  kubernetes_forbidden: spec<{ what: string; message: string }>(
    403,
    "Kubernetes refused the agent (its RBAC, or the impersonated user's); `status`, `reason`",
    (a) => `Kubernetes refused to read ${a.what}: ${a.message}`,
  ),
  sso_not_configured: spec(
    404,
    'single sign-on is not configured on this hub (`wheelhouse hub --oidc-issuer …`)',
    () => 'single sign-on is not configured on this hub',
  ),
  not_found: spec<{ what: string } | Text>(404, "no such object (or route, or another user's token)", (a) =>
    'what' in a ? `${a.what} not found` : a.message,
  ),
  conflict: spec<Text>(409, 'duplicate, or a change that would leave no administrator', asIs),
  request_not_pending: spec<{ id: string; state: string }>(
    409,
    'the access request was already decided (or its grant ended); `state`',
    (a) => `access request ${a.id} is ${a.state}, no longer pending`,
  ),
  request_expired: spec<{ id: string; expiredAt: string; ttl: string }>(
    409,
    'the access request expired unanswered (pending requests last `--access-pending-ttl`); `expiredAt`; ask again',
    (a) =>
      `access request ${a.id} expired unanswered at ${a.expiredAt} (requests wait ${a.ttl} for a decision); ask again`,
  ),
  tier_disabled: spec<Text>(409, 'the tier is not enabled on that cluster (`tier`, `cluster`)', asIs),
  pod_not_running: spec<{ namespace: string; pod: string; phase: string }>(
    409,
    'a shell needs a Running pod (`phase`)',
    (a) => `pod ${a.namespace}/${a.pod} is ${a.phase}: a shell needs a Running pod`,
  ),
  container_not_running: spec<{ namespace: string; pod: string; container: string; state: string }>(
    409,
    'a shell needs a running container (`state`)',
    (a) => `container "${a.container}" of pod ${a.namespace}/${a.pod} is ${a.state}`,
  ),
  shell_session_gone: spec<{ session: string }>(
    404,
    'no detached shell session of yours with this id on this pod (`session`): it ended, its grace period passed, or another window holds it',
    (a) =>
      `shell session ${a.session} cannot be reattached: it ended, its grace period passed, or another window holds it`,
  ),
  payload_too_large: spec<Text>(413, 'the body is larger than the hub accepts (4 MiB)', asIs),
  unsupported_media_type: spec<Text>(415, 'the body is not JSON', asIs),
  upgrade_required: spec(
    426,
    'a WebSocket URL was called as a plain GET (after every check passed)',
    () => 'open this URL as a WebSocket (Connection: Upgrade)',
  ),
  too_many_attempts: spec<{ username: string; seconds: number }>(
    429,
    'five failed sign-ins for one username from one address within 15 min lock it for 1 min (doubling, at most 30 min); `Retry-After` says how long',
    (a) => `too many failed sign-ins for "${a.username}" from this address; try again in ${a.seconds}s`,
  ),
  too_many_failures_from_address: spec<{ seconds: number }>(
    429,
    'twenty failed sign-ins from one address (any usernames, unknown ones too; IPv6 per /64) within 15 min lock the address for 1 min (doubling, at most 30 min); `Retry-After`',
    (a) => `too many failed sign-ins from this address; try again in ${a.seconds}s`,
  ),
  too_many_log_streams: spec<{ user: string; limit: number }>(
    429,
    'the per-user limit of open log streams is reached',
    (a) => `${a.user} already has ${a.limit} open log streams (the per-user limit); close one first`,
  ),
  too_many_workload_log_streams: spec<{ user: string; limit: number }>(
    429,
    'the per-user limit of open whole-workload log streams is reached (each follows many containers, so it has its own, smaller limit)',
    (a) => `${a.user} already follows ${a.limit} workloads' logs (the per-user limit); close one first`,
  ),
  too_many_shell_participants: spec<{ sessionId: string; limit: number }>(
    429,
    'a live shell already has the most people who may join it at once',
    (a) => `shell session ${a.sessionId} already has ${a.limit} people joined (the limit); try again when one leaves`,
  ),
  too_many_sessions: spec<{ user: string; limit: number }>(
    429,
    'the per-user limit of open shells is reached',
    (a) => `${a.user} already has ${a.limit} open shells (the per-user limit); close one first`,
  ),
  internal: spec(500, 'a bug or an outage; the hub log has the cause', () => 'internal error; see the hub log'),
  kubernetes_error: spec<{ what: string; message: string }>(
    502,
    'any other Kubernetes failure, with its message (`status`, `reason`)',
    (a) => `reading ${a.what} failed: ${a.message}`,
  ),
  too_many_port_forwards: spec<{ user: string; limit: number; what?: 'connections' | 'browser tabs' }>(
    429,
    'the per-user limit of open port-forward connections (or of ports open in browser tabs) is reached',
    (a) =>
      a.what === 'browser tabs'
        ? `${a.user} already has ${a.limit} pod ports open in browser tabs (the per-user limit); one closes after it has been idle`
        : `${a.user} already has ${a.limit} open port-forward connections (the per-user limit); close one first`,
  ),
  agent_unavailable: spec<{ cluster: string; why?: string }>(
    503,
    "the request needs the cluster's agent, which is not connected (or went away before answering)",
    (a) => `the agent of cluster "${a.cluster}" ${a.why ?? 'is not connected'}`,
  ),
  sign_in_busy: spec(
    503,
    'every password-check slot is taken (4 running, 16 waiting by default); `Retry-After: 1`',
    () => 'the hub is busy checking other passwords; try again in a second',
  ),
  store_unavailable: spec<Text>(
    503,
    "the hub's store (PostgreSQL) does not answer: on /readyz, and on any request that needs it meanwhile (nothing of the request is written); `Retry-After: 5`",
    asIs,
  ),
  sso_unavailable: spec<{ message: string }>(
    502,
    'the identity provider did not answer (discovery or the token endpoint); the hub log has the cause',
    (a) => `the identity provider did not answer: ${a.message}`,
  ),
  port_forward_failed: spec<{ namespace: string; pod: string; port: number; reason: string }>(
    502,
    'a pod port opened in a browser tab did not answer: the port refused or dropped the forwarded connection, or took too long (`port`, the reason in the message)',
    (a) => `pod ${a.namespace}/${a.pod} port ${a.port} did not answer: ${a.reason}`,
  ),
  agent_timeout: spec<{ cluster: string; seconds: number }>(
    504,
    'the agent did not answer in time (live object reads: 10 s)',
    (a) => `the agent of cluster "${a.cluster}" did not answer within ${a.seconds} s`,
  ),
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;
/** What the message of a code is built from (undefined: a fixed message). */
export type ApiErrorArgs<C extends ApiErrorCode> = Parameters<(typeof API_ERRORS)[C]['message']>[0];

export const isApiErrorCode = (code: string): code is ApiErrorCode => Object.hasOwn(API_ERRORS, code);
export const API_ERROR_CODES: ApiErrorCode[] = Object.keys(API_ERRORS).filter(isApiErrorCode);

export const apiErrorStatus = (code: ApiErrorCode): number => API_ERRORS[code].status;

/**
 * A problem as services report it: a catalog code, what its message is built
 * from, and details for the body. Routes turn it into an HTTP answer; services
 * never choose a status.
 */
export type ApiProblem = {
  [C in ApiErrorCode]: { code: C; args: ApiErrorArgs<C>; details?: Record<string, unknown> };
}[ApiErrorCode];

/** What follows the code: its message's args (none for a fixed message), then details for the body. */
export type ProblemRest<C extends ApiErrorCode> =
  ApiErrorArgs<C> extends undefined
    ? [args?: undefined, details?: Record<string, unknown>]
    : [args: ApiErrorArgs<C>, details?: Record<string, unknown>];

/** Builds a problem; codes with a fixed message take no args. */
export function problem<C extends ApiErrorCode>(code: C, ...rest: ProblemRest<C>): ApiProblem {
  const [args, details] = rest;
  // The mapped type cannot follow a generic code; each branch of the union is exactly this shape.
  return { code, args, ...(details ? { details } : {}) } as ApiProblem;
}

/** The message of a problem, from its code's builder. */
export function problemMessage(p: ApiProblem): string {
  const build = API_ERRORS[p.code].message as (args: unknown) => string;
  return build(p.args);
}

/** The body and status a problem is answered with. */
export function problemBody(p: ApiProblem): { status: number; body: ApiErrorBody } {
  return { status: API_ERRORS[p.code].status, body: { error: p.code, message: problemMessage(p), ...p.details } };
}
