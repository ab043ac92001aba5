import { commandStateOf, parseJsonObject, type CommandView } from '@wheelhouse/protocol';
import type { CommandRow } from '../store/schema.js';

export type { CommandView } from '@wheelhouse/protocol';

export function toCommandView(r: CommandRow): CommandView {
  return {
    id: r.id,
    cluster: r.cluster_id,
    action: r.action,
    target: { kind: r.target_kind, namespace: r.target_namespace, name: r.target_name },
    params: parseJsonObject(r.params),
    reason: r.reason,
    dryRun: r.dry_run === 1,
    requestedBy: r.requested_by,
    state: commandStateOf(r.state),
    message: r.message,
    result: r.result === null ? null : parseJsonObject(r.result),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
  };
}
