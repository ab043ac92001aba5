// Notification rules under /api/v1/notification-rules: list, add, delete and
// send a test message. Every route needs notifications:manage on every
// cluster (account-admin): a rule sends events of any cluster it matches to
// an address outside the hub. The URL is write-only: answers carry it masked.
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  NOTIFICATION_EVENTS,
  NOTIFICATION_FORMATS,
  NotificationRuleInput,
  SEVERITIES,
  problem,
  type NotificationDelivery,
} from '@wheelhouse/protocol';
import { HttpError, unwrap } from '../http/errors.js';
import { IdParams } from '../identity/identity-schemas.js';
import type { NotificationDispatcher } from './notification-dispatch.js';
import { bodyOf, testMessage } from './notification-format.js';
import type { NotificationRuleStore } from './notification-rule-store.js';

export interface NotificationsRoutesOptions {
  rules: NotificationRuleStore;
  dispatcher: NotificationDispatcher;
}

const DeliveryOut = z.object({
  at: z.number(),
  ok: z.boolean(),
  status: z.number().optional().describe("the receiver's HTTP status; absent when it could not be reached"),
  error: z.string().optional(),
  attempts: z.number(),
});

const RuleOut = z.object({
  id: z.string(),
  name: z.string(),
  cluster: z.string(),
  namespace: z.string(),
  minSeverity: z.enum(SEVERITIES),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  format: z.enum(NOTIFICATION_FORMATS),
  url: z.string().describe('scheme and host only: the rest usually holds a token'),
  createdBy: z.string(),
  createdAt: z.number(),
  lastDelivery: DeliveryOut.nullable(),
  counts: z.object({ delivered: z.number(), failed: z.number(), suppressed: z.number(), dropped: z.number() }),
});

export const notificationsRoutes: FastifyPluginCallback<NotificationsRoutesOptions> = (fastify, opts, done) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { rules, dispatcher } = opts;
  const requireManager = (req: Parameters<typeof app.requirePermission>[0]) =>
    app.requirePermission(req, 'notifications:manage', {});

  app.get(
    '/notification-rules',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Notification rules, URLs masked, each with its last delivery and counts',
        response: { 200: z.object({ items: z.array(RuleOut) }) },
      },
    },
    async (req) => {
      await requireManager(req);
      return { items: await rules.list() };
    },
  );

  app.post(
    '/notification-rules',
    {
      schema: {
        tags: ['notifications'],
        summary:
          'Add a rule: which events (cluster and namespace patterns, minimum severity) go to which webhook (json or slack)',
        body: NotificationRuleInput,
        response: { 201: RuleOut },
      },
    },
    async (req, reply) => {
      const p = await requireManager(req);
      const view = unwrap(await rules.create(p.username, req.body));
      return reply.status(201).send(view);
    },
  );

  app.delete(
    '/notification-rules/:id',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Remove a rule',
        params: IdParams,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      const p = await requireManager(req);
      unwrap(await rules.delete(p.username, req.params.id));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/notification-rules/:id/test',
    {
      schema: {
        tags: ['notifications'],
        summary: "Send a test message to the rule's webhook now (one attempt); answers how it went",
        params: IdParams,
        response: { 200: z.object({ delivery: DeliveryOut }) },
      },
    },
    async (req) => {
      const p = await requireManager(req);
      const rule = await rules.rule(req.params.id);
      if (!rule) throw new HttpError(problem('not_found', { what: `notification rule ${req.params.id}` }));
      const delivery = await new Promise<NotificationDelivery | null>((resolve) => {
        const queued = dispatcher.send(rule, bodyOf(rule.format, testMessage(rule, p.username, Date.now())), {
          retries: 0,
          done: resolve,
        });
        if (!queued) resolve(null);
      });
      return { delivery: delivery ?? { at: Date.now(), ok: false, error: 'send queue full', attempts: 0 } };
    },
  );
  done();
};
