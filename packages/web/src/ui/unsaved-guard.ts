// Asks before a page with unsaved edits is left: a reload, a closed tab or an
// address typed (the browser's own beforeunload prompt), a link or search
// result inside the console (wouter navigates with history.pushState, which
// is wrapped while edits are unsaved), and Back/Forward between two pages of
// the console where the browser has the Navigation API (Chromium, Safari): a
// same-document traversal is cancelled in its `navigate` event. A popstate
// cannot be cancelled, so elsewhere Back/Forward still leaves without asking.
import { useEffect } from 'react';

export const DISCARD_QUESTION = 'Discard your unsaved changes?';

/** The part of the Navigation API used here (not in TypeScript's DOM types yet). */
interface TraversalEvent extends Event {
  readonly navigationType: 'push' | 'replace' | 'reload' | 'traverse';
  readonly cancelable: boolean;
}
interface NavigationLike {
  addEventListener(type: 'navigate', listener: (e: TraversalEvent) => void): void;
  removeEventListener(type: 'navigate', listener: (e: TraversalEvent) => void): void;
}

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
    // Back/Forward: only traversals (pushes are asked above, reloads by beforeunload). The
    // browser makes a traversal cancelable only after a user gesture, which an edit is.
    const navigation = (window as { navigation?: NavigationLike }).navigation;
    const onNavigate = (e: TraversalEvent) => {
      if (e.navigationType !== 'traverse' || !e.cancelable) return;
      if (!window.confirm(DISCARD_QUESTION)) e.preventDefault();
    };
    navigation?.addEventListener('navigate', onNavigate);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      navigation?.removeEventListener('navigate', onNavigate);
      history.pushState = original;
    };
  }, [unsaved]);
}
