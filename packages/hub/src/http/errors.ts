// One error shape for the whole API:
//   { error: <machine code>, message: <for humans>, ...details }
// Codes, their statuses and messages come from the catalog in
// @wheelhouse/protocol (api-errors.ts). Validation failures name every
// offending field path; nothing a client sends can turn into a 5xx.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  problem,
  problemBody,
  type ApiErrorBody,
  type ApiErrorCode,
  type ApiProblem,
  type ProblemRest,
} from '@wheelhouse/protocol';
import type { Result } from '../service-result.js';
import { STORE_RETRY_AFTER_S, isStoreUnavailable } from '../store/store-errors.js';

/** A catalog problem thrown by a route; the error handler answers it with the code's status. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: ApiErrorCode;
  readonly body: ApiErrorBody;

  constructor(readonly problem: ApiProblem) {
    const { status, body } = problemBody(problem);
    super(body.message);
    this.name = 'HttpError';
    this.statusCode = status;
    this.code = problem.code;
    this.body = body;
  }
}

/** Throwable error of a catalog code: `throw apiError('not_found', { what: 'cluster "x"' })`. */
export const apiError = <C extends ApiErrorCode>(code: C, ...rest: ProblemRest<C>): HttpError =>
  new HttpError(problem(code, ...rest));

export const badRequest = (message: string, details: Record<string, unknown> = {}): HttpError =>
  apiError('invalid_request', { message }, details);
export const notFound = (what: string): HttpError => apiError('not_found', { what });
export const conflict = (message: string): HttpError => apiError('conflict', { message });

/** Answers an error directly (hooks and handlers that reply instead of throwing). */
export const sendError = (reply: FastifyReply, err: HttpError): FastifyReply =>
  reply.status(err.statusCode).send(err.body);

/** Fastify's own client errors (bad JSON, body too large, unsupported media type…) by status. */
const FASTIFY_CLIENT_ERRORS: Record<number, 'payload_too_large' | 'unsupported_media_type'> = {
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      // 429/503 answers say when to come back (the body's retryAfter, in seconds).
      if (typeof err.body.retryAfter === 'number') void reply.header('retry-after', String(err.body.retryAfter));
      return reply.status(err.statusCode).send(err.body);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const issues = err.validation.map((v) => {
        const path = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        return { path, message: v.message ?? 'invalid' };
      });
      const first = issues[0];
      const e = badRequest(first ? `${first.path}: ${first.message}` : 'invalid request', { issues });
      return reply.status(e.statusCode).send(e.body);
    }
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500 && isStoreUnavailable(err)) {
      // The database is down or restarting: a clear, retryable answer. Whatever the request had
      // begun to write was in a transaction the server rolls back with the lost connection.
      request.log.warn({ err: err.message }, 'store unavailable');
      const e = apiError(
        'store_unavailable',
        { message: "the hub's store does not answer; try again shortly" },
        { retryAfter: STORE_RETRY_AFTER_S },
      );
      return reply.status(e.statusCode).header('retry-after', String(STORE_RETRY_AFTER_S)).send(e.body);
    }
    if (status === 500) {
      request.log.error({ err }, 'unhandled error');
      const e = apiError('internal');
      return reply.status(e.statusCode).send(e.body);
    }
    const code = FASTIFY_CLIENT_ERRORS[status] ?? 'invalid_request';
    const e = apiError(code, { message: err.message });
    return reply.status(e.statusCode).send(e.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const e = apiError('not_found', { message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` });
    return reply.status(e.statusCode).send(e.body);
  });
}

/**
 * The authenticated principal, or 401; 403 password_change_required while it
 * signed in with a one-time password (as requireUser). Used where a route
 * needs a caller before it can name the scope to check.
 */
export function requirePrincipal<P extends { mustChangePassword: boolean }>(req: { principal: P | null }): P {
  if (!req.principal) throw apiError('unauthenticated', { message: 'sign in or send Authorization: Bearer <token>' });
  if (req.principal.mustChangePassword) throw apiError('password_change_required');
  return req.principal;
}

/** A service's value, or its problem thrown as the catalog's HTTP error. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new HttpError(result.problem);
  return result.value;
}
