import type { CommandState, CommandView, JsonObject } from '@wheelhouse/protocol';
import type { CommandRow } from '../store/schema.js';

export type { CommandView } from '@wheelhouse/protocol';

export function toCommandView(r: CommandRow): CommandView {
  return {
    id: r.id,
    cluster: r.cluster_id,
    action: r.action,
    target: { kind: r.target_kind, namespace: r.target_namespace, name: r.target_name },
    params: JSON.parse(r.params) as JsonObject,
    reason: r.reason,
    dryRun: r.dry_run === 1,
    requestedBy: r.requested_by,
    state: r.state as CommandState,
    message: r.message,
    result: r.result === null ? null : (JSON.parse(r.result) as JsonObject),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
  };
}
