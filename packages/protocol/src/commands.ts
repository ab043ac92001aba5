// Commands: an action requested on the hub, carried to the agent, tracked to its effect.
//   pending → dispatched → running → succeeded | failed | rejected | expired
import { z } from 'zod';
import { JsonObject } from './json.js';
import { WorkloadPolicy } from './actions/pod-security.js';

export { COMMAND_STATES, TERMINAL_STATES, commandStateOf, isTerminal, type CommandState } from './command-states.js';

const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")',
  );

/** A namespace name (an RFC 1123 DNS label), or '' for cluster-scoped targets. */
const namespaceOrEmpty = z
  .string()
  .max(63, 'must be a namespace name of at most 63 characters')
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/,
    'must be a namespace name (a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit), or empty for a cluster-scoped kind',
  );

export const CommandTarget = z.object({
  kind: z.string().min(1),
  namespace: namespaceOrEmpty.default(''),
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
  /** The requester's identity-provider groups at their last SSO sign-in (impersonation passes the allowed ones). */
  requestedByGroups: z.array(z.string().min(1).max(256)).max(500).optional(),
  /** When the hub accepted the command (epoch ms): objects created later are not its target. */
  requestedAt: z.number().optional(),
  /** The pod security level and Secret-reference permission the hub authorized it under (absent: the strict default). */
  policy: WorkloadPolicy.optional(),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelope>;
