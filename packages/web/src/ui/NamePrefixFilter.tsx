// The "name starts with" box of the paged list pages (Pods, Nodes, Workloads).
// Its text lives in the URL (?q=), which the start-up preload reads too
// (start/first-requests.ts), so a filtered view can be shared and reloaded.
// Each keystroke filters (the hub pages the list; no debounce), and
// type="search" gives the browser's Escape-to-clear.
import { isNamePrefix } from '../start/first-requests.js';
import { useQueryState } from './query-state.js';

export interface NamePrefix {
  /** What was typed, as typed. */
  text: string;
  setText: (text: string) => void;
  /** Whether the hub can filter by it (otherwise the list is empty and ListCount says why). */
  valid: boolean;
}

/** The page's name prefix from the URL. */
export function useNamePrefix(): NamePrefix {
  const [text, setText] = useQueryState('q', '');
  return { text, setText, valid: isNamePrefix(text) };
}

export function NamePrefixFilter({ prefix }: { prefix: NamePrefix }) {
  return (
    <input
      type="search"
      aria-label="Filter by name"
      placeholder="Name starts with…"
      value={prefix.text}
      onChange={(e) => prefix.setText(e.target.value)}
    />
  );
}
