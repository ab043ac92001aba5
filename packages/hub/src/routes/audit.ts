// STUB — to be implemented: /api/v1/audit, /api/v1/audit/verify, /api/v1/audit/export.
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';

export function registerAuditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): void {
  void app;
  void deps;
}
