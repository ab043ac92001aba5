// The audit log's API: query (newest first, cursor by seq), chain
// verification, and streamed export with hashes for offline verification.
// All of it needs audit:read on the global scope. Under /api/v1/audit.
import { Readable } from 'node:stream';
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { JsonValue } from '@wheelhouse/protocol';
import type { AuditLog } from './audit-log.js';
import { exportLines } from './export.js';

/** Epoch milliseconds or an ISO 8601 date/time. */
const TimeParam = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const ms = /^\d{1,15}$/.test(s) ? Number(s) : Date.parse(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date/time' });
      return z.NEVER;
    }
    return ms;
  });

const Filter = z.string().min(1).max(256);

const AuditQuery = z.strictObject({
  actor: Filter.optional(),
  action: Filter.optional().describe("exact action, or a prefix ending in '*' (auth.*)"),
  cluster: Filter.optional(),
  outcome: Filter.optional(),
  from: TimeParam.optional().describe('epoch ms or ISO 8601, inclusive'),
  to: TimeParam.optional().describe('epoch ms or ISO 8601, inclusive'),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a nextCursor value from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const AuditEntryOut = z.object({
  seq: z.number(),
  at: z.number().describe('epoch ms'),
  actor: z.string(),
  action: z.string(),
  cluster: z.string().nullable(),
  target: JsonValue,
  params: JsonValue,
  reason: z.string().nullable(),
  outcome: z.string(),
  detail: JsonValue,
  prevHash: z.string(),
  hash: z.string(),
  keyId: z.string().nullable().describe('the HMAC key that chained the record; null before keys'),
});

const VerifyOut = z.object({
  ok: z.boolean(),
  records: z.number(),
  firstBadRecord: z
    .object({ seq: z.number(), reason: z.string() })
    .optional()
    .describe('the first record whose link, content or HMAC is wrong (rewritten)'),
  head: z
    .object({ seq: z.number(), hash: z.string() })
    .optional()
    .describe('the last record: keep it elsewhere to detect truncation'),
  keyed: z
    .object({ fromSeq: z.number().nullable(), keyIds: z.array(z.string()) })
    .optional()
    .describe('the first record chained with an HMAC key (older ones keep their sha256) and the keys named'),
  anchor: z
    .object({
      source: z.string(),
      status: z.enum(['matches', 'truncated', 'rewritten', 'invalid', 'missing']),
      message: z.string(),
      seq: z.number().optional(),
      hash: z.string().optional(),
      at: z.number().optional(),
    })
    .optional()
    .describe('the chain compared with the latest anchor of its head kept outside the store'),
  truncation: z
    .object({ anchoredSeq: z.number(), lastSeq: z.number(), missingRecords: z.number() })
    .optional()
    .describe('the newest records were deleted: the anchor saw anchoredSeq, the store ends at lastSeq'),
});

export const auditRoutes: FastifyPluginCallback<{ audit: AuditLog }> = (fastify, deps, done) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { audit } = deps;

  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Query the audit log, newest first (needs audit:read)',
        querystring: AuditQuery,
        response: { 200: z.object({ items: z.array(AuditEntryOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      await app.requirePermission(request, 'audit:read', {});
      const q = request.query;
      return audit.query({
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.cluster !== undefined ? { cluster: q.cluster } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        ...(q.cursor !== undefined ? { before: Number(q.cursor) } : {}),
        limit: q.limit,
      });
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary:
          'Recompute the chain (hashes and HMACs) and compare it with the latest anchor; names the first bad record and any truncation (needs audit:read)',
        response: { 200: VerifyOut },
      },
    },
    async (request) => {
      await app.requirePermission(request, 'audit:read', {});
      return audit.verify();
    },
  );

  app.get(
    '/audit/export',
    {
      schema: {
        tags: ['audit'],
        summary:
          'Download the log (or the records the filters select), oldest first, as JSON lines or CSV with prev_hash and hash (needs audit:read)',
        querystring: AuditQuery.omit({ cursor: true, limit: true }).extend({
          format: z.enum(['jsonl', 'csv']).default('jsonl'),
        }),
      },
    },
    async (request, reply) => {
      await app.requirePermission(request, 'audit:read', {});
      const { format, ...filter } = request.query;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      void reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="wheelhouse-audit-${stamp}.${format}"`)
        .header('cache-control', 'no-store');
      // Streamed in batches: the export never holds the whole log in memory.
      return reply.send(Readable.from(exportLines(audit, format, filter)));
    },
  );
  done();
};
