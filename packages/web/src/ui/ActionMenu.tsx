// The actions menu shown wherever a target appears: every catalog action for
// the target's kind, enabled only when the cluster enables its tier, the user
// holds action:<id> on the target's scope and the agent has the RBAC — else
// disabled with the reason.
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import type { CatalogAction, ClusterDetail, CommandTarget, Me } from '../api/types.js';
import { useClusterView } from '../data/hooks.js';
import { useCatalog } from '../data/catalog.js';
import { can, describeScope } from '../data/permissions.js';
import { useMe } from '../data/session.js';
import { requestAccessHref } from '../data/access.js';
import { useActionDialog } from './ActionDialogHost.js';
import { dangerClass } from './danger.js';
import type { ParamValues } from './ParamsForm.js';

export function whyDisabled(
  id: string,
  view: ClusterDetail | undefined,
  me: Me | undefined,
  target: CommandTarget,
  cluster: string,
): string | undefined {
  const a = view?.actions.find((x) => x.id === id);
  if (!view || !a) return 'loading';
  if (!view.connected) return 'the agent is not connected';
  if (!a.enabled) return `the ${a.tier} tier is not enabled on ${cluster}`;
  const scope = target.namespace ? { cluster, namespace: target.namespace } : { cluster };
  if (!can(me, `action:${id}`, scope)) return `you lack action:${id} on ${describeScope(scope)}`;
  if (a.missingPermissions.length > 0) return `the agent lacks RBAC: ${a.missingPermissions.join(', ')}`;
  return undefined;
}

export function ActionMenu({
  cluster,
  target,
  defaults,
  only,
  label = 'Actions',
}: {
  cluster: string;
  target: CommandTarget;
  defaults?: (actionId: string) => ParamValues | undefined;
  /** Limit to these action ids (in this order). */
  only?: readonly string[];
  label?: string;
}) {
  const catalog = useCatalog();
  const view = useClusterView(cluster);
  const me = useMe();
  const [open, setOpen] = useState(false);
  const showDialog = useActionDialog();
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!(e.target instanceof Node && ref.current?.contains(e.target))) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]:not(:disabled)')?.focus();
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  let actions = (catalog ?? []).filter((a) => a.targetKinds.includes(target.kind) && a.id !== 'apply');
  if (only)
    actions = only.map((id) => actions.find((a) => a.id === id)).filter((a): a is CatalogAction => a !== undefined);

  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`${label} for ${target.kind} ${target.name}`}
        onClick={() => setOpen((o) => !o)}
        disabled={actions.length === 0}
      >
        {label} ▾
      </button>
      {open && (
        <div
          role="menu"
          aria-label={`${label} for ${target.name}`}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setOpen(false);
              ref.current?.querySelector<HTMLElement>('button[aria-haspopup="menu"]')?.focus();
            }
            if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
            e.preventDefault();
            const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not(:disabled)') ?? [])];
            const i = items.findIndex((el) => el === document.activeElement);
            items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
          }}
        >
          {actions.map((a) => {
            const why = whyDisabled(a.id, view, me, target, cluster);
            return (
              <button
                key={a.id}
                type="button"
                role="menuitem"
                className={dangerClass(a)}
                disabled={why !== undefined}
                title={why}
                onClick={() => {
                  setOpen(false);
                  // The menu's button is the trigger the dialog gives focus back to when it closes.
                  ref.current?.querySelector<HTMLElement>('button[aria-haspopup="menu"]')?.focus();
                  showDialog({ cluster, action: a, target, defaults: defaults?.(a.id) });
                }}
              >
                {a.title}
                {why && <small>{why}</small>}
              </button>
            );
          })}
          {(() => {
            // Where a permission is what is missing, offer to ask a peer for it.
            const lacking = actions.find((a) => whyDisabled(a.id, view, me, target, cluster)?.startsWith('you lack'));
            if (!lacking) return null;
            return (
              <Link
                role="menuitem"
                className="button"
                href={requestAccessHref(`action:${lacking.id}`, cluster, target.namespace || undefined)}
              >
                Request access…
              </Link>
            );
          })()}
        </div>
      )}
    </div>
  );
}

/** A single action as a button (Delete pod, Cordon…), same checks as the menu. */
export function ActionButton({
  cluster,
  target,
  actionId,
  defaults,
  className,
  label,
}: {
  cluster: string;
  target: CommandTarget;
  actionId: string;
  defaults?: ParamValues;
  className?: string;
  /** Button text instead of the action's title (a suggestion: "Roll back to revision 6?"). */
  label?: string;
}) {
  const catalog = useCatalog();
  const view = useClusterView(cluster);
  const me = useMe();
  const showDialog = useActionDialog();
  const action = catalog?.find((a) => a.id === actionId);
  const why = whyDisabled(actionId, view, me, target, cluster);
  return (
    <>
      <button
        type="button"
        className={dangerClass(action, className)}
        disabled={!action || why !== undefined}
        title={why}
        onClick={() => action && showDialog({ cluster, action, target, defaults })}
      >
        {label ?? action?.title ?? actionId}
      </button>
    </>
  );
}
