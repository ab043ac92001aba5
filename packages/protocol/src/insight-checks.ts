// The health checks the agent runs (zod-free: the console imports the names).
// Each id is documented in docs/insights.md with its evidence and fix.
export const INSIGHT_CHECKS = {
  'pod-unschedulable': 'Pod cannot be scheduled',
  'pod-unbound-pvc': 'Pod waits for an unbound PersistentVolumeClaim',
  'quota-exceeded': 'Pods cannot be created: quota exceeded',
  'image-pull-failed': 'Image cannot be pulled',
  'crash-loop': 'Container is crash-looping',
  'oom-killed': 'Container was OOMKilled',
  'readiness-failing': 'Container running but not ready',
  'rollout-stuck': 'Rollout stuck (ProgressDeadlineExceeded)',
  'job-failed': 'Job failed (backoffLimit exceeded)',
  'cronjob-suspended': 'CronJob is suspended',
  'cronjob-missed-schedule': 'CronJob missed scheduled runs',
  'node-not-ready': 'Node is not Ready',
  'node-pressure': 'Node under pressure',
  'no-probes': 'No readiness or liveness probe',
  'no-resources': 'No resource requests or limits',
  'single-replica-no-pdb': 'One replica and no PodDisruptionBudget',
  'pdb-blocks-disruption': 'PodDisruptionBudget allows no disruption',
  'hpa-target-no-cpu-requests': 'HPA scales on CPU but its target has no CPU requests',
  'image-latest-tag': 'Image by the latest tag',
  'server-without-prestop': 'Server without a preStop hook',
} as const;

export type InsightCheckId = keyof typeof INSIGHT_CHECKS;
export const INSIGHT_CHECK_IDS = Object.keys(INSIGHT_CHECKS) as InsightCheckId[];

export function isInsightCheckId(id: string): id is InsightCheckId {
  return Object.hasOwn(INSIGHT_CHECKS, id);
}

export const INSIGHT_STATES = ['open', 'resolved'] as const;
export type InsightState = (typeof INSIGHT_STATES)[number];
