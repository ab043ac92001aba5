// Asks before a page with unsaved edits is left: a reload, a closed tab or an
// address typed (the browser's own beforeunload prompt), a link or search
// result inside the console (wouter navigates with history.pushState, which
// is wrapped while edits are unsaved). Not covered: Back/Forward between two
// pages of the console (a same-document popstate cannot be cancelled; an
// attempt to undo it was not reliable in Chromium).
import { useEffect } from 'react';

export const DISCARD_QUESTION = 'Discard your unsaved changes?';

export function useUnsavedChangesGuard(unsaved: boolean): void {
  useEffect(() => {
    if (!unsaved) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault(); // the browser asks its own question
    };
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was on cleanup
    const original = history.pushState;
    const push = original.bind(history);
    history.pushState = (data: unknown, unused: string, url?: string | URL | null) => {
      const leaving = url != null && new URL(url, location.href).href !== location.href;
      if (leaving && !window.confirm(DISCARD_QUESTION)) return;
      push(data, unused, url);
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      history.pushState = original;
    };
  }, [unsaved]);
}
