// The Nodes page's pod counts and how old they are (issue 18): each page of
// nodes comes with its nodes' counts; as pods come and go, the rows in view
// are counted again. A count is stamped with how many pod changes had been
// seen when it was asked for, so a row counted before the latest change —
// one in view, or one scrolled back into view later — is known to be stale,
// and a row's newest count wins, whichever request brought it. Pure (no
// React, no requests): node-list.ts drives it.
import type { NodeListRow, NodePodCount } from '@wheelhouse/protocol/core';

/** A row and when it was counted (NodeCounts.now() when its page was asked for). */
export interface NodeRow extends NodeListRow {
  countedAt: number;
}

export class NodeCounts {
  private changes = 0;
  private readonly recounts = new Map<string, { pods: number; at: number }>();

  /** The stamp for a count asked for now. */
  now(): number {
    return this.changes;
  }

  /** A pod came, moved or went: every count taken before is stale. */
  podsChanged(): void {
    this.changes++;
  }

  /** A recount's answer, asked for at `at`. */
  recorded(counts: readonly NodePodCount[], at: number): void {
    for (const c of counts) {
      const was = this.recounts.get(c.node);
      if (!was || was.at <= at) this.recounts.set(c.node, { pods: c.pods, at });
    }
  }

  /** A node's pods: the newest count of it, its page's or a recount's. */
  podsOf(row: NodeRow): number {
    const r = this.recounts.get(row.node.name);
    return r && r.at >= row.countedAt ? r.pods : row.pods;
  }

  /** The nodes of these rows whose newest count predates the latest pod change. */
  stale(rows: readonly NodeRow[]): string[] {
    return rows
      .filter((row) => Math.max(row.countedAt, this.recounts.get(row.node.name)?.at ?? -1) < this.changes)
      .map((row) => row.node.name);
  }
}
