// Open shells outlive a page reload: their hub session ids are kept in this
// tab's sessionStorage, and the console reattaches to them on load (the hub
// keeps a detached session for its grace period, with its recent output).
import { isRecord } from '@wheelhouse/protocol/core';
import type { SessionTarget } from './sessions.js';

export interface PersistedShell {
  target: SessionTarget;
  sessionId: string;
  visible: boolean;
}

const KEY = 'wheelhouse.shells';

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** What the previous page of this tab left open; never throws (storage may be off or hold anything). */
export function loadShells(): PersistedShell[] {
  let raw: string | null;
  try {
    raw = sessionStorage.getItem(KEY);
  } catch {
    return [];
  }
  if (!raw) return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  const out: PersistedShell[] = [];
  for (const x of v) {
    if (!isRecord(x) || !isRecord(x.target) || !str(x.sessionId)) continue;
    const t = x.target;
    if (str(t.cluster) && str(t.node)) {
      // A node shell: reattached through the node route.
      out.push({
        target: { cluster: t.cluster, namespace: '', pod: '', container: '', node: t.node },
        sessionId: x.sessionId,
        visible: x.visible === true,
      });
      continue;
    }
    if (!str(t.cluster) || !str(t.namespace) || !str(t.pod) || !str(t.container)) continue;
    out.push({
      target: { cluster: t.cluster, namespace: t.namespace, pod: t.pod, container: t.container },
      sessionId: x.sessionId,
      visible: x.visible === true,
    });
  }
  return out;
}

export function saveShells(shells: readonly PersistedShell[]): void {
  try {
    if (shells.length === 0) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, JSON.stringify(shells));
  } catch {
    // storage off or full: shells just do not survive a reload
  }
}
