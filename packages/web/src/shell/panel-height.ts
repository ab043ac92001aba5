// The docked shell panel's height: dragged or set with the keyboard on its
// top edge, kept within the window (the page above and the tray below stay
// reachable, down to 1366×768 and smaller), remembered in localStorage.
import { useCallback, useEffect, useState } from 'react';

const KEY = 'wheelhouse.shellPanelHeight';
export const PANEL_MIN = 140;
/** Room kept for the tray bar below and a strip of the page above. */
const RESERVED = 38 + 96;
/** Keyboard steps: arrows, Page Up/Down. */
export const PANEL_STEP = 24;
export const PANEL_PAGE_STEP = 120;

export function panelBounds(windowHeight: number): { min: number; max: number } {
  const max = Math.max(PANEL_MIN, windowHeight - RESERVED);
  return { min: PANEL_MIN, max };
}

export function clampPanel(h: number, windowHeight: number): number {
  const { min, max } = panelBounds(windowHeight);
  return Math.round(Math.min(max, Math.max(min, h)));
}

/** The height after a key on the resize handle, or undefined for a key it does not take. */
export function panelHeightAfterKey(key: string, h: number, windowHeight: number): number | undefined {
  const { min, max } = panelBounds(windowHeight);
  switch (key) {
    case 'ArrowUp':
      return clampPanel(h + PANEL_STEP, windowHeight);
    case 'ArrowDown':
      return clampPanel(h - PANEL_STEP, windowHeight);
    case 'PageUp':
      return clampPanel(h + PANEL_PAGE_STEP, windowHeight);
    case 'PageDown':
      return clampPanel(h - PANEL_PAGE_STEP, windowHeight);
    case 'Home':
      return max;
    case 'End':
      return min;
    default:
      return undefined;
  }
}

function initial(): number {
  let saved: number | undefined;
  try {
    const v = Number(localStorage.getItem(KEY));
    if (Number.isFinite(v) && v > 0) saved = v;
  } catch {
    // storage off: the default
  }
  return clampPanel(saved ?? window.innerHeight * 0.55, window.innerHeight);
}

/** [height in px, set it]; kept in --shell-panel-h (the panel and the page's bottom padding use it). */
export function usePanelHeight(): [number, (h: number) => void] {
  const [height, setRaw] = useState(initial);
  const set = useCallback((h: number) => setRaw(clampPanel(h, window.innerHeight)), []);
  useEffect(() => {
    document.documentElement.style.setProperty('--shell-panel-h', `${height}px`);
    try {
      localStorage.setItem(KEY, String(height));
    } catch {
      // not remembered
    }
  }, [height]);
  useEffect(() => {
    // A smaller window must not push the panel's header off the top.
    const onResize = () => setRaw((h) => clampPanel(h, window.innerHeight));
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return [height, set];
}
