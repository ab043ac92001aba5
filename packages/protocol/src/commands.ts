// Commands: an action requested on the hub, carried to the agent, tracked to its effect.
//   pending → dispatched → running → succeeded | failed | rejected | expired
import { z } from 'zod';
import { JsonObject } from './json.js';

export const COMMAND_STATES = [
  'pending',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'rejected',
  'expired',
] as const;
export type CommandState = (typeof COMMAND_STATES)[number];
export const TERMINAL_STATES: readonly CommandState[] = ['succeeded', 'failed', 'rejected', 'expired'];
export const isTerminal = (s: CommandState): boolean => TERMINAL_STATES.includes(s);

const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")',
  );

export const CommandTarget = z.object({
  kind: z.string().min(1),
  namespace: z.string().max(63).default(''),
  name: dnsName,
});
export type CommandTarget = z.infer<typeof CommandTarget>;

export const ActionRequest = z.object({
  action: z.string().min(1),
  target: CommandTarget,
  params: JsonObject.default({}),
  reason: z.string().max(1024).optional(),
  dryRun: z.boolean().default(false),
});
export type ActionRequest = z.infer<typeof ActionRequest>;

/** What the agent receives. */
export const CommandEnvelope = z.object({
  id: z.string(),
  action: z.string(),
  target: CommandTarget,
  params: JsonObject,
  reason: z.string().nullable(),
  dryRun: z.boolean(),
  requestedBy: z.string(),
  /** When the hub accepted the command (epoch ms): objects created later are not its target. */
  requestedAt: z.number().optional(),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelope>;
