// Just-in-time access under /api/v1/access-requests: ask, list, approve, deny.
// Thin: every rule (self-approval, the approver's scope, states) is the
// service's; the route validates the body and names the field that is wrong.
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DurationError, formatDuration, parseDuration } from '@wheelhouse/protocol';
import { HttpError, badRequest } from '../http/errors.js';
import { IdParams, Pattern, Role } from '../identity/identity-schemas.js';
import type { AccessService } from './access-service.js';

export interface AccessRoutesOptions {
  access: AccessService;
}

const AccessRequestOut = z.object({
  id: z.string(),
  requester: z.string(),
  role: Role,
  cluster: z.string(),
  namespace: z.string(),
  durationMs: z.number(),
  reason: z.string(),
  state: z
    .enum(['pending', 'approved', 'denied', 'expired', 'lapsed'])
    .describe('expired: an approved grant ended; lapsed: nobody decided the request in time'),
  createdAt: z.number(),
  pendingUntil: z.number().nullable().describe('pending: when the request lapses unanswered'),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
  comment: z.string().nullable(),
  expiresAt: z.number().nullable().describe('approved: when the grant ends by itself'),
});

export const accessRoutes: FastifyPluginCallback<AccessRoutesOptions> = (fastify, opts, done) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { access } = opts;

  app.post(
    '/access-requests',
    {
      schema: {
        tags: ['access'],
        summary: 'Ask for a role on (cluster, namespace) for a time, with a reason; a peer approves it',
        body: z.strictObject({
          role: Role,
          cluster: Pattern,
          namespace: Pattern,
          duration: z.string().min(1).max(32).describe('Go duration, e.g. 1h, 30m'),
          reason: z.string().trim().min(1).max(500),
        }),
        response: { 201: AccessRequestOut },
      },
    },
    async (request, reply) => {
      const p = app.requireUser(request);
      let durationMs: number;
      try {
        durationMs = parseDuration(request.body.duration);
      } catch (err) {
        const message = err instanceof DurationError ? err.message : 'invalid duration';
        throw badRequest(`body.duration: ${message}`, { issues: [{ path: 'body.duration', message }] });
      }
      const max = access.maxDurationMs;
      if (durationMs < 60_000 || durationMs > max) {
        const message = `must be between 1m and ${formatDuration(max)} (the hub's maximum)`;
        throw badRequest(`body.duration: ${message}`, { issues: [{ path: 'body.duration', message }] });
      }
      const created = await access.request(p, { ...request.body, durationMs });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/access-requests',
    {
      schema: {
        tags: ['access'],
        summary:
          "Access requests: the caller's (mine), pending ones the caller may decide (to-approve), or approved grants still running (active)",
        querystring: z.strictObject({ view: z.enum(['mine', 'to-approve', 'active']).default('mine') }),
        response: { 200: z.object({ items: z.array(AccessRequestOut), maxDurationMs: z.number() }) },
      },
    },
    async (request) => {
      const p = app.requireUser(request);
      return { items: await access.list(p, request.query.view), maxDurationMs: access.maxDurationMs };
    },
  );

  for (const decision of ['approve', 'deny'] as const) {
    app.post(
      `/access-requests/:id/${decision}`,
      {
        schema: {
          tags: ['access'],
          summary:
            decision === 'approve'
              ? 'Approve a peer’s request (access:approve and the role’s permissions on its scope): a binding that ends by itself'
              : 'Deny a peer’s request, with a comment',
          params: IdParams,
          body:
            decision === 'approve'
              ? z.strictObject({ comment: z.string().trim().min(1).max(500).optional() })
              : z.strictObject({ comment: z.string().trim().min(1).max(500) }),
          response: { 200: AccessRequestOut },
        },
      },
      async (request) => {
        const p = app.requireUser(request);
        const decided = await access.decide(p, request.params.id, decision, request.body.comment);
        if (!decided.ok) throw new HttpError(decided.problem);
        return decided.value;
      },
    );
  }
  done();
};
