// Exit codes a script can rely on, and how every failure becomes one. The
// hub's API error codes (API_ERRORS) map here exhaustively: a new code does not
// compile until someone decides what a script should see for it.
// docs/cli.md carries the same table (a test keeps them equal).
import { CommanderError } from 'commander';
import { DurationError, isApiErrorCode, type ApiErrorBody, type ApiErrorCode } from '@wheelhouse/protocol';

export const EXIT = {
  ok: 0,
  /** Anything else: an action that failed, a broken audit chain, a hub or Kubernetes failure. */
  failure: 1,
  /** The command line was wrong: unknown flag, missing or invalid argument, a request the hub rejected as invalid. */
  usage: 2,
  notFound: 3,
  /** Signed in, but not allowed (by Wheelhouse or by Kubernetes). */
  forbidden: 4,
  /** Not signed in: no credentials, or a token that is invalid, revoked or expired. */
  unauthenticated: 5,
  /** The object is not in a state that allows it (exists already, tier off, pod not running). */
  conflict: 6,
  /** Try again later: the hub or the agent cannot be reached, timed out, or asks to slow down. */
  unavailable: 7,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each hub error code means for a script. */
export const API_ERROR_EXIT: Record<ApiErrorCode, ExitCode> = {
  invalid_request: EXIT.usage,
  container_required: EXIT.usage,
  payload_too_large: EXIT.usage,
  unsupported_media_type: EXIT.usage,
  unauthenticated: EXIT.unauthenticated,
  invalid_credentials: EXIT.unauthenticated,
  one_time_password_expired: EXIT.unauthenticated,
  sso_failed: EXIT.unauthenticated,
  forbidden: EXIT.forbidden,
  csrf: EXIT.forbidden,
  password_change_required: EXIT.forbidden,
  reauthentication_failed: EXIT.forbidden,
  origin_not_allowed: EXIT.forbidden,
  local_accounts_disabled: EXIT.forbidden,
  self_approval: EXIT.forbidden,
  wrong_current_password: EXIT.forbidden,
  kubernetes_forbidden: EXIT.forbidden,
  not_found: EXIT.notFound,
  shell_session_gone: EXIT.notFound,
  sso_not_configured: EXIT.notFound,
  conflict: EXIT.conflict,
  tier_disabled: EXIT.conflict,
  request_not_pending: EXIT.conflict,
  request_expired: EXIT.conflict,
  pod_not_running: EXIT.conflict,
  container_not_running: EXIT.conflict,
  upgrade_required: EXIT.failure,
  too_many_attempts: EXIT.unavailable,
  too_many_sessions: EXIT.unavailable,
  too_many_log_streams: EXIT.unavailable,
  too_many_workload_log_streams: EXIT.unavailable,
  too_many_shell_participants: EXIT.unavailable,
  too_many_port_forwards: EXIT.unavailable,
  too_many_failures_from_address: EXIT.unavailable,
  sign_in_busy: EXIT.unavailable,
  internal: EXIT.failure,
  kubernetes_error: EXIT.failure,
  port_forward_failed: EXIT.failure,
  agent_unavailable: EXIT.unavailable,
  store_unavailable: EXIT.unavailable,
  agent_timeout: EXIT.unavailable,
  sso_unavailable: EXIT.unavailable,
};

/** Codes the CLI itself reports (with -o json, as `error`), next to the hub's. */
export const CLI_ERROR_CODES = {
  usage: EXIT.usage,
  not_found: EXIT.notFound,
  unauthenticated: EXIT.unauthenticated,
  unreachable: EXIT.unavailable,
  failed: EXIT.failure,
} as const;
export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** A failure the CLI found itself, with the API's error shape. */
export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError('usage', message);

/** A refusal from the hub: its status and the API's one error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message ? `${body.message} (HTTP ${status})` : `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** Exit code of a hub answer: by its error code, else by its HTTP status (a proxy's page, an older hub). */
export function exitCodeOfApiError(status: number, code: string): ExitCode {
  if (isApiErrorCode(code)) return API_ERROR_EXIT[code];
  if (status === 400 || status === 413 || status === 415) return EXIT.usage;
  if (status === 401) return EXIT.unauthenticated;
  if (status === 403) return EXIT.forbidden;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 429 || status === 502 || status === 503 || status === 504) return EXIT.unavailable;
  return EXIT.failure;
}

export interface ErrorReport {
  exitCode: ExitCode;
  /** The API's error shape: the hub's body as it came, or the CLI's own. */
  body: ApiErrorBody;
}

/** Whatever was thrown, as an exit code and an error body. */
export function reportOf(err: unknown): ErrorReport {
  if (err instanceof ApiError) {
    // A proxy's empty answer still says something: "HTTP 502".
    const message = err.body.message || err.message;
    return {
      exitCode: exitCodeOfApiError(err.status, err.body.error),
      body: { ...err.body, message, status: err.status },
    };
  }
  if (err instanceof CliError)
    return { exitCode: CLI_ERROR_CODES[err.code], body: { error: err.code, message: err.message, ...err.details } };
  if (err instanceof DurationError) return { exitCode: EXIT.usage, body: { error: 'usage', message: err.message } };
  if (err instanceof CommanderError) {
    // Commander's own messages already start with "error: ".
    const message = err.message.replace(/^error: /, '');
    return { exitCode: EXIT.usage, body: { error: 'usage', message } };
  }
  return {
    exitCode: EXIT.failure,
    body: { error: 'failed', message: err instanceof Error ? err.message : String(err) },
  };
}

/** The one line (text) or object (-o json) a failure prints on stderr. */
export function formatError(report: ErrorReport, json: boolean): string {
  if (json) return `${JSON.stringify({ ...report.body, exitCode: report.exitCode })}\n`;
  return `error: ${report.body.message}\n`;
}
