// Reading an event's data for the details drawer.
import { isRecord } from '@wheelhouse/protocol/core';
import type { TimelineEvent } from '../api/types.js';
import type { FieldChangeView } from '../ui/format.js';

/** data.changes of a spec-change, keeping only well-formed entries (events of older hubs may hold anything). */
export function changesOf(data: { changes?: unknown }): FieldChangeView[] {
  const v = data.changes;
  if (!Array.isArray(v)) return [];
  const out: FieldChangeView[] = [];
  for (const c of v) {
    if (isRecord(c) && typeof c.path === 'string') {
      const change: FieldChangeView = { path: c.path };
      if ('from' in c) change.from = c.from;
      if ('to' in c) change.to = c.to;
      out.push(change);
    }
  }
  return out;
}

/** "Deployment shop/web" (namespace left out for cluster-scoped objects). */
export function objectLabel(e: Pick<TimelineEvent, 'kind' | 'namespace' | 'name'>, hideNamespace = false): string {
  const where = e.namespace && !hideNamespace ? `${e.namespace}/${e.name}` : e.name;
  return e.kind ? `${e.kind} ${where}` : where;
}

export const SEVERITY_CLASS: Record<string, string> = { info: 'info', warning: 'warn', error: 'err' };
