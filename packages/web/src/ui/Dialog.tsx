// A modal on the native <dialog>: focus is trapped and Escape closes it, as
// browsers do for showModal(); when it closes, focus goes back to what had it
// before (the button that opened it) unless it was put somewhere else meanwhile.
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const trigger = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      // After React removes the dialog; a trigger that left the page (a deleted row) keeps nothing,
      // and focus the person already put elsewhere meanwhile (the search box) stays there.
      setTimeout(() => {
        const now = document.activeElement;
        if (trigger?.isConnected && (now === null || now === document.body)) trigger.focus();
      }, 0);
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={id}
      style={wide ? { width: 'min(1000px, 96vw)' } : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={id}>{title}</h2>
        <button type="button" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      {footer && <div className="dialog-foot">{footer}</div>}
    </dialog>
  );
}
