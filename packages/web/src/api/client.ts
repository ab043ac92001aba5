// The hub's public API, as the console calls it: cookie session + CSRF header
// on unsafe methods, one error type that keeps the hub's code, message and
// per-field issues so dialogs can point at the field that was wrong.
import type { ApiErrorBody, ApiIssue } from '@wheelhouse/protocol';
import { recordOf } from '@wheelhouse/protocol/core';
import { withQuery, type Query } from './query.js';
import { takePreloaded } from '../start/preload.js';

export type { ApiIssue } from '@wheelhouse/protocol';
export { withQuery } from './query.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: ApiErrorBody,
  ) {
    super(message);
  }

  get issues(): ApiIssue[] {
    const v = this.body.issues;
    return Array.isArray(v) ? v : [];
  }

  /** One line for people: the message, the missing permission and scope, the fields. */
  describe(): string {
    const parts = [this.message];
    if (typeof this.body.permission === 'string') {
      const scope = this.body.scope;
      const where =
        scope && Object.keys(scope).length
          ? Object.entries(scope)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
          : 'the hub';
      parts.push(`(needs ${this.body.permission} on ${where})`);
    }
    for (const i of this.issues) parts.push(`${i.path}: ${i.message}`);
    return parts.join(' — ');
  }
}

let csrfToken: string | undefined;
const unauthenticatedListeners = new Set<() => void>();

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the hub answers 401 to a signed-in call (session expired or revoked). */
export function onUnauthenticated(fn: () => void): () => void {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

/**
 * The live positions (`x-wheelhouse-live`, docs/api.md) of the answers read under a signal, for the
 * signals a caller asked to note (read-and-follow.ts compares them with its feed's subscription).
 */
const positionsRead = new WeakMap<AbortSignal, (string | null)[]>();

/** From now on, notes the live position of every answer read under `signal` (null: it had none). */
export function notePositions(signal: AbortSignal): () => readonly (string | null)[] {
  const noted: (string | null)[] = [];
  positionsRead.set(signal, noted);
  return () => noted;
}

/** Notes an answer's live position under its signal, if a caller asked (api() does it for every answer). */
export function recordPosition(signal: AbortSignal, position: string | null): void {
  positionsRead.get(signal)?.push(position);
}

export async function api<T>(
  path: string,
  opts: { method?: string; body?: unknown; query?: Query; signal?: AbortSignal } = {},
): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const url = withQuery(path, opts.query);
  // A GET the start-up preload already sent (the first page of the route opened) is not sent again.
  const preloaded =
    method === 'GET' && opts.body === undefined && !opts.signal?.aborted ? takePreloaded(url) : undefined;
  const res = await (preloaded ??
    fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal ?? null,
    }));
  if (opts.signal) recordPosition(opts.signal, res.headers.get('x-wheelhouse-live'));
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { message: text };
  }
  if (!res.ok) {
    const b = recordOf(body);
    const code = typeof b.error === 'string' ? b.error : `http_${res.status}`;
    const message = typeof b.message === 'string' ? b.message : res.statusText;
    const err = new ApiError(res.status, code, message, { ...b, error: code, message });
    if (res.status === 401 && path !== '/api/v1/auth/login') for (const fn of unauthenticatedListeners) fn();
    throw err;
  }
  return body as T;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}

/** ws:// or wss:// URL for a path on this origin. */
export function wsUrl(path: string): string {
  const u = new URL(path, window.location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
