// Action tiers a cluster opts into (chart values actions.basic / actions.advanced /
// actions.podExec). Read-only watching is always on and is not a tier.
export const ACTION_TIERS = ['basic', 'advanced', 'podExec'] as const;
export type ActionTier = (typeof ACTION_TIERS)[number];

export function isActionTier(value: unknown): value is ActionTier {
  return typeof value === 'string' && (ACTION_TIERS as readonly string[]).includes(value);
}
