// The console's copy of one cluster: inventory per kind (loaded when a page
// first needs it, then kept current by the live feed), the cluster's state and
// command updates. Pages read it through hooks (data/hooks.ts); nothing reloads.
import { api, wsUrl } from '../api/client.js';
import { kindPageUrl } from '../start/first-requests.js';
import type { ClusterDetail, ClusterView, CommandView, InventoryItem, Page, TimelineEvent } from '../api/types.js';
import { mayMissChanges, parsePosition, readNoting, type LivePosition } from './live-position.js';
import type { Subscription } from './read-and-follow.js';

type LiveMessage =
  | { type: 'subscribed'; position?: string }
  | { type: 'overflow' }
  | { type: 'inventory'; upserts: InventoryItem[]; deletes: { kind: string; uid: string }[] }
  | { type: 'timeline'; event: TimelineEvent }
  | { type: 'command'; command: CommandView }
  | { type: 'cluster'; view: ClusterView };

export type LiveState = 'connecting' | 'live' | 'reconnecting';

interface KindState {
  items: Map<string, InventoryItem>;
  loaded: boolean;
  loading?: Promise<void>;
  /** uids changed or deleted by the live feed while a list was in flight. */
  touched?: Set<string>;
  snapshot?: InventoryItem[];
  error?: string;
  /** Listed before the feed was subscribed, as of this live position: listed again if it may lack a change. */
  before?: { position: LivePosition | undefined };
}

export class ClusterData {
  private kinds = new Map<string, KindState>();
  private listeners = new Set<() => void>();
  private timelineListeners = new Set<(e: TimelineEvent) => void>();
  private commandListeners = new Set<(c: CommandView) => void>();
  private inventoryListeners = new Set<(upserts: InventoryItem[], deletes: { kind: string; uid: string }[]) => void>();
  private socket: WebSocket | undefined;
  private retry = 0;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  liveState: LiveState = 'connecting';
  /** Bumped on every change; a cheap snapshot for views over several kinds. */
  version = 0;
  /** The cluster with what it enables and what the signed-in user may do there. */
  view: ClusterDetail | undefined;

  constructor(readonly cluster: string) {
    this.connect();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  onTimeline(fn: (e: TimelineEvent) => void): () => void {
    this.timelineListeners.add(fn);
    return () => this.timelineListeners.delete(fn);
  }

  /** Raw inventory changes (the paged lists keep the rows they show current with them). */
  onInventory(fn: (upserts: InventoryItem[], deletes: { kind: string; uid: string }[]) => void): () => void {
    this.inventoryListeners.add(fn);
    return () => this.inventoryListeners.delete(fn);
  }

  /** Called for every feed (re)start and overflow: what the lists show may be stale. */
  onResync(fn: () => void): () => void {
    this.resyncListeners.add(fn);
    return () => this.resyncListeners.delete(fn);
  }
  private resyncListeners = new Set<() => void>();

  /** Called each time the feed is subscribed (the first time too), after the restart's onResync. */
  onSubscribed(fn: (s: Subscription) => void): () => void {
    this.subscribedListeners.add(fn);
    return () => this.subscribedListeners.delete(fn);
  }
  private subscribedListeners = new Set<(s: Subscription) => void>();
  private subscribed: Subscription | undefined;

  /** The subscription changes now arrive by; undefined until subscribed and while reconnecting. */
  subscription(): Subscription | undefined {
    return this.subscribed;
  }

  onCommand(fn: (c: CommandView) => void): () => void {
    this.commandListeners.add(fn);
    return () => this.commandListeners.delete(fn);
  }

  /** The items of a kind (stable array between changes), or undefined while loading. */
  items(kind: string): InventoryItem[] | undefined {
    const s = this.kinds.get(kind);
    if (!s?.loaded) return undefined;
    s.snapshot ??= [...s.items.values()].sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
    );
    return s.snapshot;
  }

  error(kind: string): string | undefined {
    return this.kinds.get(kind)?.error;
  }

  ensure(kind: string): void {
    const s = this.state(kind);
    if (s.loaded || s.loading) return;
    s.touched = new Set();
    s.loading = this.load(kind, s).finally(() => {
      s.loading = undefined;
      s.touched = undefined;
      // Listed before the feed was subscribed, answered after: checked now (else when it subscribes).
      if (s.before && this.subscribed) void this.refetchLoaded(false);
      this.emit();
    });
  }

  refreshView(): void {
    api<ClusterDetail>(`/api/v1/clusters/${encodeURIComponent(this.cluster)}`).then(
      (v) => {
        this.view = v;
        this.emit();
      },
      () => undefined,
    );
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  private state(kind: string): KindState {
    let s = this.kinds.get(kind);
    if (!s) {
      s = { items: new Map(), loaded: false };
      this.kinds.set(kind, s);
    }
    return s;
  }

  private async load(kind: string, s: KindState): Promise<void> {
    const fetched: InventoryItem[] = [];
    try {
      const noted = await readNoting(this.subscribed !== undefined, async (signal) => {
        let cursor: string | number | null = null;
        do {
          const page: Page<InventoryItem> = await api(kindPageUrl(this.cluster, kind, cursor), { signal });
          fetched.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor !== null);
      });
      s.before = noted.before;
    } catch (err) {
      s.error = err instanceof Error ? err.message : String(err);
      s.loaded = true;
      return;
    }
    // What the live feed changed while we listed is newer than the list.
    const touched = s.touched ?? new Set<string>();
    const live = s.items;
    s.items = new Map();
    for (const it of fetched) if (!touched.has(it.uid)) s.items.set(it.uid, it);
    for (const [uid, it] of live) if (touched.has(uid)) s.items.set(uid, it);
    s.error = undefined;
    s.loaded = true;
    s.snapshot = undefined;
  }

  /**
   * Lists again the kinds listed before the feed was subscribed whose answer may lack a change made
   * before the subscription (live-position.ts); `all`: every kind listed (the feed restarted).
   */
  private async refetchLoaded(all = true): Promise<void> {
    const sub = this.subscribed;
    for (const [kind, s] of this.kinds) {
      if (!s.loaded) continue;
      if (!all) {
        const before = s.before;
        s.before = undefined;
        if (!before || !mayMissChanges(before.position, sub?.position)) continue;
      }
      s.touched = new Set();
      await this.load(kind, s);
      s.touched = undefined;
    }
    this.emit();
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(wsUrl(`/api/v1/live?cluster=${encodeURIComponent(this.cluster)}`));
    this.socket = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      this.handle(JSON.parse(ev.data) as LiveMessage);
    };
    ws.onclose = () => {
      this.subscribed = undefined;
      if (this.closed) return;
      this.liveState = 'reconnecting';
      this.emit();
      const delay = Math.min(15_000, 500 * 2 ** this.retry++) * (0.5 + Math.random() / 2);
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
  }

  private handle(msg: LiveMessage): void {
    switch (msg.type) {
      case 'subscribed': {
        const wasReconnect = this.retry > 0;
        this.retry = 0;
        this.liveState = 'live';
        const sub: Subscription = { position: parsePosition(msg.position) };
        this.subscribed = sub;
        // Whatever happened while we were away: list again. The first time, only what was listed
        // before the subscription and may lack a change made in between.
        void this.refetchLoaded(wasReconnect);
        if (wasReconnect) for (const fn of this.resyncListeners) fn();
        for (const fn of this.subscribedListeners) fn(sub);
        this.refreshView();
        this.emit();
        return;
      }
      case 'overflow':
        void this.refetchLoaded();
        for (const fn of this.resyncListeners) fn();
        return;
      case 'inventory': {
        for (const fn of this.inventoryListeners) fn(msg.upserts, msg.deletes);
        for (const it of msg.upserts) {
          // Only kinds a page listed whole are copied: a 100k-pod cluster's churn
          // must not grow a map nobody reads (the paged lists keep their own rows).
          const s = this.kinds.get(it.kind);
          if (!s || (!s.loaded && !s.loading)) continue;
          s.items.set(it.uid, it);
          s.touched?.add(it.uid);
          s.snapshot = undefined;
        }
        for (const d of msg.deletes) {
          const s = this.kinds.get(d.kind);
          if (!s || (!s.loaded && !s.loading)) continue;
          s.items.delete(d.uid);
          s.touched?.add(d.uid);
          s.snapshot = undefined;
        }
        this.emit();
        return;
      }
      case 'timeline':
        for (const fn of this.timelineListeners) fn(msg.event);
        return;
      case 'command':
        for (const fn of this.commandListeners) fn(msg.command);
        return;
      case 'cluster':
        // Tiers or the agent's permissions may have changed: the action list with them.
        if (this.view) this.view = { ...this.view, ...msg.view };
        this.refreshView();
        this.emit();
        return;
    }
  }

  private emitScheduled = false;
  /** Coalesces bursts of live messages into one render per frame. */
  private emit(): void {
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    queueMicrotask(() => {
      this.emitScheduled = false;
      this.version++;
      for (const fn of this.listeners) fn();
    });
  }
}

const open = new Map<string, ClusterData>();

/** One ClusterData per cluster for the life of the page. */
export function clusterData(cluster: string): ClusterData {
  let d = open.get(cluster);
  if (!d) {
    d = new ClusterData(cluster);
    open.set(cluster, d);
  }
  return d;
}

export function closeAllClusterData(): void {
  for (const d of open.values()) d.close();
  open.clear();
}
