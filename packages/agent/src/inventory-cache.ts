// The agent's compact copy of what it watches: one projection per object.
// It turns watch traffic into inventory changes and timeline events, and can
// replay itself as snapshots whenever the hub link comes back.
import {
  isResourceKind,
  ownerStep,
  resolveWorkload,
  type InventoryItem,
  type ResourceKind,
  type TimelineEventInput,
} from '@wheelhouse/protocol';
import { project, type KubeObject } from './projections.js';
import { eventsForChange, type OwnerResolver } from './timeline/events.js';

export interface CacheSink {
  upsert(item: InventoryItem): void;
  remove(item: InventoryItem): void;
  timeline(events: TimelineEventInput[]): void;
  /** A (re)list replaced a kind: the hub should get a fresh snapshot of it. */
  relisted(kind: ResourceKind): void;
  /** A paged (re)list of a kind starts over: its pages follow as listPage, then relisted. */
  listStart?(kind: ResourceKind): void;
  /** One page's projections, as they are listed (the hub can store them before the list ends). */
  listPage?(kind: ResourceKind, items: readonly InventoryItem[]): void;
}

export class InventoryCache {
  private readonly byKind = new Map<ResourceKind, Map<string, InventoryItem>>();
  /** (kind, namespace, name) → uid, for resolving Events' involved objects. */
  private readonly byName = new Map<string, string>();

  constructor(private readonly sink: CacheSink) {}

  /** Kinds whose first list has completed. */
  listedKinds(): ResourceKind[] {
    return [...this.byKind.keys()];
  }

  items(kind: ResourceKind): InventoryItem[] {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }

  count(): number {
    let n = 0;
    for (const m of this.byKind.values()) n += m.size;
    return n;
  }

  private nameKey(kind: string, ns: string, name: string): string {
    return `${kind}\u0000${ns}\u0000${name}`;
  }

  get(kind: string, ns: string, name: string): InventoryItem | undefined {
    const uid = this.byName.get(this.nameKey(kind, ns, name));
    return uid && isResourceKind(kind) ? this.byKind.get(kind)?.get(uid) : undefined;
  }

  /** The workload a pod/ReplicaSet/Job belongs to (the protocol's one rule), its step looked up by uid. */
  readonly owner: OwnerResolver = (item) => {
    const step = ownerStep(item);
    return resolveWorkload(item, step ? this.byKind.get(step.kind)?.get(step.uid) : undefined);
  };

  ownerRefsOf = (kind: string, ns: string, name: string): InventoryItem['ownerRefs'] =>
    this.get(kind, ns, name)?.ownerRefs ?? [];

  private put(kind: ResourceKind, item: InventoryItem): InventoryItem | undefined {
    let m = this.byKind.get(kind);
    if (!m) {
      m = new Map();
      this.byKind.set(kind, m);
    }
    const before = m.get(item.uid);
    m.set(item.uid, item);
    this.byName.set(this.nameKey(kind, item.namespace, item.name), item.uid);
    return before;
  }

  private drop(kind: ResourceKind, uid: string): InventoryItem | undefined {
    const m = this.byKind.get(kind);
    const before = m?.get(uid);
    if (before) {
      m?.delete(uid);
      const key = this.nameKey(kind, before.namespace, before.name);
      if (this.byName.get(key) === uid) this.byName.delete(key);
    }
    return before;
  }

  /** Lists in progress: the projections gathered so far, per kind. */
  private readonly listing = new Map<ResourceKind, InventoryItem[]>();

  /** The kinds being listed, each with the items listed so far. */
  listsInProgress(): ReadonlyMap<ResourceKind, readonly InventoryItem[]> {
    return this.listing;
  }

  beginList(kind: ResourceKind): void {
    this.listing.set(kind, []);
    this.sink.listStart?.(kind);
  }

  /** Projects a page of a list at once, so only compact items are kept while the list goes on. */
  addListPage(kind: ResourceKind, objects: KubeObject[]): void {
    const items = this.listing.get(kind);
    if (!items) throw new Error(`addListPage(${kind}) without beginList`);
    const page = objects.map((o) => project(kind, o));
    for (const item of page) items.push(item);
    this.sink.listPage?.(kind, page);
  }

  endList(kind: ResourceKind, now = Date.now()): void {
    const items = this.listing.get(kind) ?? [];
    this.listing.delete(kind);
    this.replaceKind(kind, items, now);
  }

  /** A full list at once (tests, small kinds). */
  onList(kind: ResourceKind, objects: KubeObject[], now = Date.now()): void {
    this.replaceKind(
      kind,
      objects.map((o) => project(kind, o)),
      now,
    );
  }

  /** A full list. The first one is the baseline (no events); later ones (re-lists) report what changed meanwhile. */
  private replaceKind(kind: ResourceKind, items: InventoryItem[], now: number): void {
    const first = !this.byKind.has(kind);
    const previous = this.byKind.get(kind) ?? new Map<string, InventoryItem>();
    this.byKind.set(kind, new Map());
    const events: TimelineEventInput[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(item.uid);
      this.put(kind, item);
      if (!first) events.push(...eventsForChange(previous.get(item.uid), item, now, this.owner));
    }
    if (!first) {
      for (const [uid, before] of previous) {
        if (seen.has(uid)) continue;
        const key = this.nameKey(kind, before.namespace, before.name);
        if (this.byName.get(key) === uid) this.byName.delete(key);
        events.push(...eventsForChange(before, undefined, now, this.owner));
      }
    }
    this.sink.relisted(kind);
    if (events.length) this.sink.timeline(events);
  }

  onChange(kind: ResourceKind, type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject, now = Date.now()): void {
    const item = project(kind, o);
    if (type === 'DELETED') {
      const before = this.drop(kind, item.uid) ?? item;
      this.sink.remove(before);
      const events = eventsForChange(before, undefined, now, this.owner);
      if (events.length) this.sink.timeline(events);
      return;
    }
    const before = this.put(kind, item);
    if (before?.resourceVersion === item.resourceVersion) return;
    this.sink.upsert(item);
    const events = eventsForChange(before, item, now, this.owner);
    if (events.length) this.sink.timeline(events);
  }
}
