// Health insights: what is wrong, on which object, since when, the evidence,
// the severity and the catalog action that is the likely fix. The agent runs
// the checks on its watch cache (agent/src/insights/) and sends the open set;
// the hub stores them, opens and resolves them, and puts both on the timeline.
import { z } from 'zod';
import { INSIGHT_CHECK_IDS, INSIGHT_STATES } from './insight-checks.js';
import { JsonObject } from './json.js';
import type { RootCauseHint } from './root-cause.js';
import { SEVERITIES } from './timeline-types.js';

export { INSIGHT_CHECKS, INSIGHT_CHECK_IDS, INSIGHT_STATES, isInsightCheckId } from './insight-checks.js';
export type { InsightCheckId, InsightState } from './insight-checks.js';

/** One piece of evidence: where it comes from, what it is, its value. */
export const InsightEvidence = z.object({
  /** event: a Kubernetes Event; status / spec: a field of the object; usage: measured use. */
  source: z.enum(['event', 'status', 'spec', 'usage']),
  /** What it is, e.g. "status.conditions[PodScheduled].message" or "Event FailedScheduling". */
  label: z.string().max(256),
  value: z.string().max(2048),
});
export type InsightEvidence = z.infer<typeof InsightEvidence>;

export const InsightObjectRef = z.object({
  kind: z.string().max(63),
  namespace: z.string().max(63),
  name: z.string().max(253),
});
export type InsightObjectRef = z.infer<typeof InsightObjectRef>;

/** A catalog action that likely fixes it, with params to prefill the action dialog. */
export const InsightAction = z.object({
  action: z.string().max(63),
  target: InsightObjectRef,
  params: JsonObject,
  label: z.string().max(256),
});
export type InsightAction = z.infer<typeof InsightAction>;

/** What the agent reports for one open insight. */
export const InsightInput = z.object({
  /** Stable per (check, object[, container]): the same problem keeps its id while it lasts. */
  id: z.string().min(1).max(512),
  check: z.enum(INSIGHT_CHECK_IDS),
  object: InsightObjectRef,
  /** The workload the object belongs to (a pod's Deployment), for badges and timelines. */
  owner: z.object({ kind: z.string(), name: z.string() }).optional(),
  severity: z.enum(SEVERITIES),
  /** What is wrong, in one line. */
  title: z.string().max(512),
  /** When it started, as far as Kubernetes says (condition transition, termination), else when first seen. */
  since: z.number(),
  evidence: z.array(InsightEvidence).max(20),
  /** What to do about it, in words (always); `action` when the catalog has one. */
  fix: z.string().max(1024),
  action: InsightAction.optional(),
});
export type InsightInput = z.infer<typeof InsightInput>;

/** An insight as the hub keeps and serves it. */
export type Insight = InsightInput & {
  cluster: string;
  state: (typeof INSIGHT_STATES)[number];
  openedAt: number;
  resolvedAt: number | null;
  /** For an open error or warning on a workload: what changed just before (root-cause.ts). */
  cause?: RootCauseHint;
};
