// The virtual table of a server-paged list (Pods, Workloads, a node's pods):
// only the rows in view are in the DOM, spacer rows keep the scrollbar true
// to the whole count, and the list is asked for what is in view (and a
// screenful beyond) before it is needed.
import { useEffect, useRef } from 'react';
import { useVirtualizer, type VirtualItem } from '@tanstack/react-virtual';

/** A table row's height in px: rows are one line, so their height is known before they render. */
export const ROW_HEIGHT = 41;

export interface VirtualRows {
  scroller: React.RefObject<HTMLDivElement | null>;
  rows: VirtualItem[];
  /** Heights of the spacer rows above and below the rendered ones. */
  before: number;
  after: number;
}

export function useVirtualRows(count: number, want: (first: number, last: number) => void): VirtualRows {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const rows = virtual.getVirtualItems();
  const lastIndex = rows.at(-1)?.index ?? 0;
  const firstIndex = rows[0]?.index ?? 0;
  // The rows in view, and a screenful beyond the last read ahead.
  useEffect(() => want(firstIndex, lastIndex + 30), [want, firstIndex, lastIndex]);
  const before = rows[0]?.start ?? 0;
  const after = rows.length > 0 ? virtual.getTotalSize() - (rows.at(-1)?.end ?? 0) : 0;
  return { scroller, rows, before, after };
}
