// What the hub's API answers about clusters, commands and shell sessions: one
// definition for the hub that builds these views and the console that reads them.
import type { CommandState, CommandTarget } from './commands.js';
import type { JsonObject } from './json.js';
import type { Capabilities } from './link.js';
import type { PodSecurityLevel } from './actions/pod-security.js';

export interface ClusterView {
  name: string;
  createdAt: number;
  createdBy: string;
  connected: boolean;
  lastSeenAt: number | null;
  agentVersion: string | null;
  kubernetesVersion: string | null;
  capabilities: Capabilities;
  tokenRevoked: boolean;
  /** The Pod Security Standards level every pod template an action creates or changes must meet. */
  podSecurity: PodSecurityLevel;
}

export interface CommandView {
  id: string;
  cluster: string;
  action: string;
  target: CommandTarget;
  params: JsonObject;
  reason: string | null;
  dryRun: boolean;
  requestedBy: string;
  state: CommandState;
  message: string | null;
  result: JsonObject | null;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

/** GET /actions/{id}: the command with each state it went through. */
export interface CommandDetail extends CommandView {
  transitions: { state: CommandState; at: number; message: string | null }[];
}

export interface ShellSessionView {
  id: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  user: string;
  kubeUser: string | null;
  clientAddress: string;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  reason: string | null;
  exitCode: number | null;
  recording: { available: boolean; bytes: number; truncated: boolean; input: boolean };
  /** Times a client took the session back after a reload or a lost connection. */
  reattaches: number;
}
