// A cluster's timeline, newest first, and its counts by type (under /api/v1).
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TIMELINE_EVENT_TYPES } from '@wheelhouse/protocol';
import { ClusterParams, epochMs, limit, requireVisibleCluster, scopeOf } from '../clusters/cluster-access.js';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { badRequest, requirePrincipal } from '../http/errors.js';
import type { TimelineStore } from './timeline-store.js';

export interface TimelineRoutesOptions {
  clusters: ClusterStore;
  timeline: TimelineStore;
}

/** Whose events: a namespace, and an object in it (by kind and name) — the same on every timeline route. */
const TimelineScope = {
  namespace: z.string().max(63).optional(),
  kind: z.string().max(63).optional(),
  name: z.string().max(253).optional(),
};

export const timelineRoutes: FastifyPluginCallback<TimelineRoutesOptions> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/clusters/:cluster/timeline',
    {
      schema: {
        tags: ['timeline'],
        params: ClusterParams,
        querystring: z
          .object({
            ...TimelineScope,
            type: z
              .string()
              .optional()
              .transform((s) => (s ? s.split(',').filter(Boolean) : []))
              .pipe(z.array(z.enum(TIMELINE_EVENT_TYPES))),
            from: epochMs.optional(),
            to: epochMs.optional(),
            cursor: z.coerce.number().int().min(0).optional(),
            limit,
          })
          .strict(),
      },
    },
    async (req) => {
      requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const { namespace } = req.query;
      await app.requirePermission(req, 'view', scopeOf(c.name, namespace));
      return deps.timeline.query(c.name, { ...req.query, types: req.query.type });
    },
  );

  // How many events a view's range holds, by type (the console's true counts when it loads only the newest).
  app.get(
    '/clusters/:cluster/timeline/counts',
    {
      schema: {
        tags: ['timeline'],
        params: ClusterParams,
        querystring: z
          .object({
            ...TimelineScope,
            from: epochMs.optional(),
            to: epochMs.optional(),
          })
          .strict(),
        response: {
          200: z.object({ total: z.number(), byType: z.partialRecord(z.enum(TIMELINE_EVENT_TYPES), z.number()) }),
        },
      },
    },
    async (req) => {
      requirePrincipal(req);
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const { namespace } = req.query;
      await app.requirePermission(req, 'view', scopeOf(c.name, namespace));
      return deps.timeline.counts(c.name, req.query);
    },
  );
  // The range in equal time buckets, counted by type (the chart of a range holding more events than the console loads).
  app.get(
    '/clusters/:cluster/timeline/buckets',
    {
      schema: {
        tags: ['timeline'],
        params: ClusterParams,
        querystring: z
          .object({
            ...TimelineScope,
            from: epochMs,
            to: epochMs,
            buckets: z.coerce.number().int().min(1).max(1000).default(200),
            // Only events stored before this seq (those the console has not loaded).
            before: z.coerce.number().int().min(0).optional(),
          })
          .strict(),
        response: {
          200: z.object({
            from: z.number(),
            to: z.number(),
            width: z.number(),
            buckets: z.array(
              z.object({
                start: z.number(),
                total: z.number(),
                byType: z.partialRecord(z.enum(TIMELINE_EVENT_TYPES), z.number()),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      requirePrincipal(req);
      const { from, to } = req.query;
      if (to <= from) {
        const message = 'querystring.to: must be after from';
        throw badRequest(message, { issues: [{ path: 'querystring.to', message }] });
      }
      const c = await requireVisibleCluster(app, req, deps.clusters, req.params.cluster);
      const { namespace } = req.query;
      await app.requirePermission(req, 'view', scopeOf(c.name, namespace));
      return deps.timeline.buckets(c.name, req.query);
    },
  );
  done();
};
