// STUB — to be implemented (sessions, API tokens, CSRF, role bindings).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { HubDb } from '../store/db.js';
import type { Permission, Principal, Scope } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Throws HttpError 401 (no/invalid credentials) or 403 naming permission and scope (and audits the denial). */
    requirePermission(request: FastifyRequest, permission: Permission, scope: Scope): Promise<Principal>;
    can(principal: Principal, permission: Permission, scope: Scope): boolean;
  }
}

export interface AuthDeps {
  db: HubDb;
  audit: AuditLog;
}

export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  void deps;
  app.decorateRequest('principal', null);
  app.decorate('requirePermission', (request: FastifyRequest): Promise<Principal> => {
    void request;
    return Promise.reject(new Error('requirePermission not implemented'));
  });
  app.decorate('can', (): boolean => false);
}

/** First start: creates the 'admin' user (account-admin on every cluster) and returns its one-time password; null if users exist. */
export function ensureAdmin(db: HubDb): Promise<{ username: string; password: string } | null> {
  void db;
  return Promise.resolve(null);
}
