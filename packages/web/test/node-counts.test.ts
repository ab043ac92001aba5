// The Nodes page's pod counts kept live (data/node-counts.ts, issue 18): a
// page's counts stand until a pod changes; then the rows in view are stale
// and a recount's answer replaces them; a row counted before the change and
// scrolled into view later is stale too (the rows held beyond the first pages
// are never listed again); an answer older than a row's own count loses.
import { describe, expect, it } from 'vitest';
import type { InventoryItemOf } from '../src/api/types.js';
import { NodeCounts, type NodeRow } from '../src/data/node-counts.js';

const row = (name: string, pods: number, countedAt: number): NodeRow => ({
  node: { kind: 'Node', name, uid: `uid-${name}` } as InventoryItemOf<'Node'>,
  pods,
  countedAt,
});

describe('NodeCounts', () => {
  it("keeps a page's counts until a pod changes, then only the stale rows in view are counted again", () => {
    const c = new NodeCounts();
    const page = [row('a', 3, c.now()), row('b', 5, c.now())];
    expect(c.stale(page)).toEqual([]);
    expect(page.map((r) => c.podsOf(r))).toEqual([3, 5]);
    c.podsChanged();
    expect(c.stale(page)).toEqual(['a', 'b']);
    const at = c.now();
    c.recorded(
      [
        { node: 'a', pods: 4 },
        { node: 'b', pods: 5 },
      ],
      at,
    );
    expect(c.stale(page)).toEqual([]);
    expect(page.map((r) => c.podsOf(r))).toEqual([4, 5]);
  });

  it('counts again a row scrolled into view that was counted before the last pod change', () => {
    const c = new NodeCounts();
    const early = row('far-down', 7, c.now());
    c.podsChanged();
    c.recorded([{ node: 'on-screen', pods: 1 }], c.now());
    // Scrolled to: its page's count predates the change.
    expect(c.stale([early])).toEqual(['far-down']);
    expect(c.podsOf(early)).toBe(7);
    c.recorded([{ node: 'far-down', pods: 8 }], c.now());
    expect(c.podsOf(early)).toBe(8);
    expect(c.stale([early])).toEqual([]);
  });

  it("lets a row's newer count win over an older answer, and an older answer never replace a newer one", () => {
    const c = new NodeCounts();
    const before = c.now();
    c.podsChanged();
    // A page asked for after the change, and a recount asked for before it that answers late.
    const fresh = row('a', 2, c.now());
    c.recorded([{ node: 'a', pods: 1 }], before);
    expect(c.podsOf(fresh)).toBe(2);
    c.recorded([{ node: 'a', pods: 9 }], c.now());
    c.recorded([{ node: 'a', pods: 1 }], before);
    expect(c.podsOf(fresh)).toBe(9);
  });
});
