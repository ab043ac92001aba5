// One vocabulary for failures, shared by exec guard and the agent. Errors from
// the Kubernetes API come from two clients: the typed client's ApiException and
// the agent's plain JSON requests (agent/src/kube-http.ts); both become a
// KubeApiError carrying the API server's own status, reason and message.
//
// It lives here, not in @wheelhouse/protocol, because it speaks of
// @kubernetes/client-node's ApiException; the agent already depends on exec
// guard, so this adds no cycle. The agent imports the subpath
// '@wheelhouse/exec-guard/kube-errors' so it does not load exec guard's server
// unless it runs it. ApiException is recognised by its shape, not instanceof:
// importing the library here would load it (~70 MB) into every agent.
import type * as k8s from '@kubernetes/client-node';

export class KubeApiError extends Error {
  constructor(
    /** HTTP status the API server answered. */
    readonly status: number,
    /** The Status object's reason (NotFound, Forbidden, Invalid, Conflict…), '' when it gave none. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** reason and message of a Kubernetes Status body, given as parsed JSON or as text. */
export function statusFields(body: unknown): { reason: string; message: string | undefined } {
  if (typeof body === 'string') {
    try {
      return statusFields(JSON.parse(body));
    } catch {
      return { reason: '', message: body ? body.slice(0, 500) : undefined };
    }
  }
  if (typeof body !== 'object' || body === null) return { reason: '', message: undefined };
  const reason = 'reason' in body && typeof body.reason === 'string' ? body.reason : '';
  const message = 'message' in body && typeof body.message === 'string' ? body.message : undefined;
  return { reason, message };
}

/** client-node's ApiException: an Error with a numeric HTTP `code`, the response `body` and `headers`. */
function isApiException(err: unknown): err is k8s.ApiException<unknown> {
  return (
    err instanceof Error &&
    err.constructor.name === 'ApiException' &&
    typeof (err as { code?: unknown }).code === 'number' &&
    'body' in err &&
    'headers' in err
  );
}

/** The error as a KubeApiError when it is an answer of the API server; undefined for anything else (network, bugs). */
export function kubeApiError(err: unknown): KubeApiError | undefined {
  if (err instanceof KubeApiError) return err;
  if (isApiException(err)) {
    const e = err;
    const { reason, message } = statusFields(e.body);
    return new KubeApiError(e.code, reason, message ?? `HTTP ${e.code}${reason ? ` ${reason}` : ''}`);
  }
  return undefined;
}

/** The API server's HTTP status for this error, if it came from the API server. */
export function kubeStatus(err: unknown): number | undefined {
  return kubeApiError(err)?.status;
}

/** One line for a person: the API server's own message when there is one, else the error's message. */
export function errorText(err: unknown): string {
  const k = kubeApiError(err);
  if (k) return k.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether trying the same request again cannot help: a 4xx the API server will
 * answer the same way (Forbidden, Invalid, BadRequest, NotFound…). Not terminal:
 * 401 (credentials may be refreshing), 408, 409 (conflict: re-read and retry),
 * 429 (throttled), 5xx, and errors that never reached the API server.
 */
export function isTerminalKubeError(err: unknown): boolean {
  const status = kubeStatus(err);
  if (status === undefined || status < 400 || status >= 500) return false;
  return status !== 401 && status !== 408 && status !== 409 && status !== 429;
}
