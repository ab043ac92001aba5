// A pod someone entered with kubectl exec/attach: time left before exec guard
// evicts it, with an Extend button (the extend-eviction action).
import type { InventoryItemOf } from '../api/types.js';
import { useNow } from '../data/hooks.js';
import { ActionButton } from './ActionMenu.js';
import { formatRemaining } from './format.js';

export function execGuardOf(
  pod: InventoryItemOf<'Pod'>,
): { terminationTime: number; interactor: string | undefined; extension: string | undefined } | undefined {
  const g = pod.summary.execGuard;
  const t = g?.terminationTime;
  return g && t != null
    ? { terminationTime: t, interactor: g.interactor ?? undefined, extension: g.extension ?? undefined }
    : undefined;
}

export function ExecGuardBadge({
  cluster,
  pod,
  withExtend = true,
}: {
  cluster: string;
  pod: InventoryItemOf<'Pod'>;
  withExtend?: boolean;
}) {
  const now = useNow(1000);
  const g = execGuardOf(pod);
  if (!g) return null;
  const left = g.terminationTime - now;
  const level = left < 60_000 ? 'err' : left < 5 * 60_000 ? 'warn' : 'info';
  return (
    <span style={{ display: 'inline-flex', gap: 6, alignItems: 'center' }}>
      <span
        className={`badge ${level} countdown`}
        role="timer"
        aria-label={`Evicted by exec guard in ${formatRemaining(left)}`}
        title={`Entered by ${g.interactor ?? 'someone'} with kubectl exec/attach; exec guard evicts it at ${new Date(g.terminationTime).toLocaleString()}${g.extension ? ` (last extended by ${g.extension})` : ''}`}
      >
        exec · evicted in {formatRemaining(left)}
      </span>
      {withExtend && (
        <ActionButton
          cluster={cluster}
          target={{ kind: 'Pod', namespace: pod.namespace, name: pod.name }}
          actionId="extend-eviction"
          className="small"
        />
      )}
    </span>
  );
}
