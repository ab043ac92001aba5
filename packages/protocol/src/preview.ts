// What a dry run returns: what would change, what to watch out for, and which
// other objects the action would touch. Executors put it in result.preview.
import { z } from 'zod';
import { FieldChange } from './timeline.js';

export const AffectedObject = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  /** What happens to it: "deleted", "evicted", "recreated", "rescheduled"… */
  effect: z.string(),
});
export type AffectedObject = z.infer<typeof AffectedObject>;

export const ActionPreview = z.object({
  summary: z.string(),
  /** Changes to the target's fields (pod template, replicas, …). */
  diff: z.array(FieldChange),
  warnings: z.array(z.string()),
  affected: z.array(AffectedObject),
});
export type ActionPreview = z.infer<typeof ActionPreview>;
