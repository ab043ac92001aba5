// One declaration per action: hub validation, agent execution (keyed by id),
// UI menus, CLI commands and the Helm chart's RBAC all read these.
import type { z } from 'zod';
import type { ActionTier } from '../tiers.js';

/** A Kubernetes RBAC rule the agent needs to run the action. */
export interface PermissionRule {
  apiGroup: string;
  resource: string; // may include a subresource: "deployments/scale"
  verbs: readonly string[];
}

export interface ActionDeclaration<P extends z.ZodType = z.ZodType> {
  id: string;
  title: string;
  description: string;
  tier: ActionTier;
  /** Kinds this action applies to (its targets). */
  targetKinds: readonly string[];
  /**
   * Removes or replaces running things (delete, drain, rollback): every client
   * styles it as a danger action, one way (the console: `danger` on its
   * button, its menu item and its dialog's Run button).
   */
  danger?: true;
  params: P;
  permissions: readonly PermissionRule[];
  /**
   * What the requester needs at the hub besides `action:<id>` on the target's scope
   * (e.g. pod:exec for a debug container, which is a way into the pod).
   */
  userPermissions?: readonly 'pod:exec'[];
  /**
   * Checks that need the target as well as the params (the params schema sees
   * only the params), e.g. an apply whose manifest would rename its target.
   * Empty = fine. Paths are like the params schema's ("params.manifest").
   */
  checkTarget?(target: ActionTarget, params: z.infer<P>): TargetIssue[];
}

export interface ActionTarget {
  kind: string;
  namespace: string;
  name: string;
}

export interface TargetIssue {
  path: string;
  message: string;
}
