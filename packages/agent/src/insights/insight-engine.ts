// Runs every check over the agent's cluster view a moment after the cluster
// changes, and reports what opened, changed and resolved since the last run.
// `since` keeps the earliest time seen, so an insight opened at 12:00 still
// says 12:00 after many re-evaluations (and the hub keeps the earliest too).
import type { InsightInput, ResourceKind, UnknownRecord } from '@wheelhouse/protocol';
import type { KubeObject } from '../projections.js';
import type { CheckContext } from './check-context.js';
import { ClusterView, trimForChecks } from './cluster-view.js';
import { podChecks } from './pod-checks.js';
import { workloadChecks } from './workload-checks.js';

export const CHECKS = [podChecks, ...workloadChecks];

export interface InsightSink {
  /** The whole open set: after the first run (every kind listed). */
  snapshot(open: InsightInput[]): void;
  changes(opened: InsightInput[], resolved: string[]): void;
}

export interface InsightEngineOptions {
  sink: InsightSink;
  owner: CheckContext['owner'];
  /** The kinds the agent watches: checks run once every one was listed (no half-seen cluster). */
  kinds: readonly ResourceKind[];
  /** Quiet time after a change before the checks run (coalesces watch bursts). */
  debounceMs?: number;
  /** Re-run this often anyway: some checks depend on time passing (readiness grace). */
  intervalMs?: number;
  now?: () => number;
}

export class InsightEngine {
  readonly view = new ClusterView();
  private open = new Map<string, InsightInput>();
  private timer: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private readonly listed = new Set<ResourceKind>();
  /** Lists in progress: each page trimmed as it arrives (by uid), so raw objects never pile up. */
  private readonly listing = new Map<ResourceKind, Map<string, UnknownRecord>>();
  /** Whether the checks ran once (so `current()` is the cluster's open set). */
  evaluated = false;

  constructor(private readonly opts: InsightEngineOptions) {}

  start(): void {
    this.interval = setInterval(() => this.evaluate(), this.opts.intervalMs ?? 10_000);
    this.interval.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.interval) clearInterval(this.interval);
    this.timer = this.interval = null;
  }

  beginList(kind: ResourceKind): void {
    this.listing.set(kind, new Map());
  }

  addListPage(kind: ResourceKind, objects: readonly KubeObject[]): void {
    const records = this.listing.get(kind);
    if (!records) return;
    for (const o of objects) {
      const uid = o.metadata?.uid;
      if (uid) records.set(uid, trimForChecks(kind, o));
    }
  }

  endList(kind: ResourceKind): void {
    this.view.replaceTrimmed(kind, this.listing.get(kind) ?? new Map<string, UnknownRecord>());
    this.listing.delete(kind);
    this.listed.add(kind);
    this.schedule();
  }

  onList(kind: ResourceKind, objects: readonly KubeObject[]): void {
    this.view.replace(kind, objects);
    this.listed.add(kind);
    this.schedule();
  }

  onChange(kind: ResourceKind, type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject): void {
    if (type === 'DELETED') this.view.remove(kind, o);
    else this.view.set(kind, o);
    this.schedule();
  }

  onEvent(e: KubeObject): void {
    if (this.view.onEvent(e)) this.schedule();
  }

  /** Every open insight (for the snapshot after a reconnect). */
  current(): InsightInput[] {
    return [...this.open.values()];
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.evaluate();
    }, this.opts.debounceMs ?? 500);
    this.timer.unref();
  }

  /** Runs every check now; reports the difference from the previous run. */
  evaluate(): void {
    if (!this.opts.kinds.every((k) => this.listed.has(k))) return;
    const now = (this.opts.now ?? Date.now)();
    const ctx: CheckContext = { view: this.view, now, owner: this.opts.owner };
    const next = new Map<string, InsightInput>();
    for (const check of CHECKS) {
      for (const i of check(ctx)) {
        const before = this.open.get(i.id) ?? next.get(i.id);
        next.set(i.id, before ? { ...i, since: Math.min(before.since, i.since) } : i);
      }
    }
    const opened: InsightInput[] = [];
    for (const [id, i] of next) {
      const before = this.open.get(id);
      if (!before || JSON.stringify(before) !== JSON.stringify(i)) opened.push(i);
    }
    const resolved = [...this.open.keys()].filter((id) => !next.has(id));
    this.open = next;
    if (!this.evaluated) {
      this.evaluated = true;
      this.opts.sink.snapshot(this.current());
    } else if (opened.length || resolved.length) this.opts.sink.changes(opened, resolved);
  }
}
