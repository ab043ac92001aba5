// One error shape for the whole API:
//   { error: <machine code>, message: <for humans>, ...details }
// Validation failures name every offending field path; nothing a client sends
// can turn into a 5xx.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, details: Record<string, unknown> = {}): HttpError =>
  new HttpError(400, 'invalid_request', message, details);
export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);
export const conflict = (message: string): HttpError => new HttpError(409, 'conflict', message);

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send({ error: err.code, message: err.message, ...err.details });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const issues = err.validation.map((v) => {
        const path = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        return { path, message: v.message ?? 'invalid' };
      });
      const first = issues[0];
      return reply.status(400).send({
        error: 'invalid_request',
        message: first ? `${first.path}: ${first.message}` : 'invalid request',
        issues,
      });
    }
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      request.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ error: 'internal', message: 'internal error; see the hub log' });
    }
    // Fastify's own client errors (bad JSON, body too large, unsupported media type…).
    return reply.status(status).send({ error: err.code || 'invalid_request', message: err.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
  );
}

/**
 * The authenticated principal, or 401; 403 password_change_required while it
 * signed in with a one-time password (as requireUser). Used where a route
 * needs a caller before it can name the scope to check.
 */
export function requirePrincipal<P extends { mustChangePassword: boolean }>(req: { principal: P | null }): P {
  if (!req.principal) throw new HttpError(401, 'unauthenticated', 'sign in or send Authorization: Bearer <token>');
  if (req.principal.mustChangePassword) {
    throw new HttpError(
      403,
      'password_change_required',
      'this account signed in with a one-time password: change it with POST /api/v1/auth/password first',
    );
  }
  return req.principal;
}
