// Resource usage: what metrics.k8s.io (metrics-server) measures, per node and
// per container, next to the containers' requests and limits. The agent reads
// it once a minute and sends one sample; the hub keeps a bounded history.
import { z } from 'zod';

export const ContainerUsage = z.object({
  name: z.string().max(253),
  /** millicores */
  cpu: z.number().nonnegative(),
  /** bytes */
  memory: z.number().nonnegative(),
  /** From the pod spec (millicores / bytes); null when not set. */
  requests: z.object({ cpu: z.number().nullable(), memory: z.number().nullable() }),
  limits: z.object({ cpu: z.number().nullable(), memory: z.number().nullable() }),
});
export type ContainerUsage = z.infer<typeof ContainerUsage>;

export const PodUsage = z.object({
  namespace: z.string().max(63),
  name: z.string().max(253),
  /** The sample's own time (metrics-server's timestamp), epoch ms. */
  time: z.number(),
  containers: z.array(ContainerUsage).max(100),
});
export type PodUsage = z.infer<typeof PodUsage>;

export const NodeUsage = z.object({
  name: z.string().max(253),
  time: z.number(),
  cpu: z.number().nonnegative(),
  memory: z.number().nonnegative(),
  /** status.allocatable (millicores / bytes); null when unknown. */
  allocatable: z.object({ cpu: z.number().nullable(), memory: z.number().nullable() }),
});
export type NodeUsage = z.infer<typeof NodeUsage>;

/** One reading of the cluster, or why there is none (metrics.k8s.io missing, forbidden, failing). */
export const UsageMessage = z.object({
  type: z.literal('usage.sample'),
  time: z.number(),
  available: z.boolean(),
  /** When not available: what the agent found (e.g. "metrics.k8s.io is not served: install metrics-server"). */
  reason: z.string().max(1024).optional(),
  pods: z.array(PodUsage).max(50_000),
  nodes: z.array(NodeUsage).max(10_000),
});
export type UsageMessage = z.infer<typeof UsageMessage>;

export { formatMemory, parseCpu, parseMemory } from './quantities.js';
