// Reading one live object through the agent (GET /api/v1/clusters/{c}/objects):
// the hub asks over the link (object.get, with a request id) and waits for the
// agent's answer (object.result). Only the kinds of the inventory table can be
// asked for, so Secrets are never read; the agent strips metadata.managedFields
// and renders the YAML (it owns the `yaml` dependency).
import { z } from 'zod';
import { JsonObject } from './json.js';
import { RESOURCE_KIND_NAMES } from './kinds.js';

/** How long the hub waits for the agent's answer before 504 agent_timeout. */
export const OBJECT_GET_TIMEOUT_MS = 10_000;

const RequestId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID');

/** A Kubernetes object name (DNS-1123 subdomain): no "/" can reach an API path. */
export const KubeName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'must be a Kubernetes name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  );
/** A namespace name (DNS-1123 label). */
export const KubeNamespace = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a namespace name: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

const ReadableKind = z.enum(RESOURCE_KIND_NAMES);

// ---- hub → agent
export const ObjectGetMessage = z.object({
  type: z.literal('object.get'),
  requestId: RequestId,
  kind: ReadableKind,
  /** '' for cluster-scoped kinds (Node, Namespace). */
  namespace: z.union([z.literal(''), KubeNamespace]),
  name: KubeName,
  /** The Wheelhouse user asking (impersonation, when the agent has it on). */
  user: z.string().min(1),
  /** The person's identity-provider groups at their last SSO sign-in (impersonation passes the allowed ones). */
  groups: z.array(z.string().min(1).max(256)).max(500).optional(),
});
export type ObjectGetMessage = z.infer<typeof ObjectGetMessage>;

// ---- agent → hub
export const ObjectError = z.object({
  /** The Kubernetes API's HTTP status (404 when the object does not exist), or 0 when the request did not get an answer. */
  status: z.number().int(),
  /** The Kubernetes Status reason (NotFound, Forbidden, …), '' when there was none. */
  reason: z.string().max(200),
  message: z.string().max(4096),
});
export type ObjectError = z.infer<typeof ObjectError>;

/** Either `object` (+ `yaml`) or `error`. */
export const ObjectResultMessage = z.object({
  type: z.literal('object.result'),
  requestId: RequestId,
  /** The object as the API server returned it, without metadata.managedFields. */
  object: JsonObject.optional(),
  /** The same object rendered as YAML. */
  yaml: z.string().optional(),
  error: ObjectError.optional(),
});
export type ObjectResultMessage = z.infer<typeof ObjectResultMessage>;

/** Path of the object route. */
export function objectPath(cluster: string): string {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/objects`;
}
