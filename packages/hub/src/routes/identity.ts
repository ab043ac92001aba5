// STUB — to be implemented: /api/v1/auth/*, /api/v1/me, /api/v1/tokens, /api/v1/users, /api/v1/roles, /api/v1/bindings.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../auth/plugin.js';

export function registerIdentityRoutes(app: FastifyInstance, deps: AuthDeps): void {
  void app;
  void deps;
}
