// List + watch for one kind: the current objects, then a watch resumed from
// the last resourceVersion seen (bookmarks keep it fresh), a re-list on 410
// Gone, and backoff on errors. The caller gets the full list after every
// (re)list and each change after that. The list is either a streaming list
// (WatchList: one watch with sendInitialEvents that sends every object, a
// bookmark when they are all sent, then the changes — served from the API
// server's watch cache, no page round trips) or, where the API server refuses
// that, a LIST in pages of 500 followed by a watch.
import type { KubeClientConfig } from '../kube-config.js';
import type { Logger } from 'pino';
import { RESOURCE_KINDS, type ResourceKind } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest, kubeWatch, type KubeResponse } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface KindWatcherHandlers {
  /** A (re)list starts; pages follow, then onListEnd. Pages are handed over as they arrive so raw objects never pile up. */
  onListStart(): void;
  onListPage(objects: KubeObject[]): void;
  onListEnd(): void;
  onChange(type: WatchEventType, object: KubeObject): void;
}

export interface WatchTarget {
  kind: ResourceKind | 'Event';
  /** Collection path, e.g. /api/v1/pods or /apis/apps/v1/deployments */
  path: string;
}

export function collectionPath(kind: ResourceKind | 'Event'): string {
  if (kind === 'Event') return '/api/v1/events';
  const k = RESOURCE_KINDS[kind];
  return k.group === '' ? `/api/${k.version}/${k.plural}` : `/apis/${k.group}/${k.version}/${k.plural}`;
}

const PAGE = 500;

export interface ListBody {
  items: KubeObject[];
  metadata: { resourceVersion?: string; continue?: string };
}

export type WatchParams = {
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds: number;
  /** A streaming list: the current objects as ADDED events first (with resourceVersionMatch NotOlderThan). */
  sendInitialEvents?: boolean;
  resourceVersionMatch?: 'NotOlderThan';
};

/** How a kind is listed: a streaming list (WatchList), or paged LIST requests. */
export type ListMode = 'watch-list' | 'paged';

/** The bookmark annotation that ends a streaming list's initial events. */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/**
 * Whether an API server of this version streams lists (the WatchList feature,
 * on by default since Kubernetes 1.32). Older ones ignore sendInitialEvents
 * (1.26 and before) or refuse it: they are listed in pages.
 */
export function listModeFor(gitVersion: string): ListMode {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return m && (Number(m[1]) > 1 || Number(m[2]) >= 32) ? 'watch-list' : 'paged';
}

/**
 * Where a KindWatcher lists and watches: the API server (apiServerSource), or
 * in unit tests a scripted source that can answer 410 Gone on demand.
 */
export interface ListWatchSource {
  list(path: string, query: URLSearchParams): Promise<KubeResponse<ListBody>>;
  /** Like kubeWatch: events until `done`; resolves with the abort handle. */
  watch(
    path: string,
    params: WatchParams,
    onEvent: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

export function apiServerSource(kc: KubeClientConfig): ListWatchSource {
  return {
    list: (path, query) => kubeRequest<ListBody>(kc, 'GET', `${path}?${query.toString()}`),
    watch: (path, params, onEvent, done) => kubeWatch(kc, path, params, onEvent, done),
  };
}

export class KindWatcher {
  private stopped = false;
  private abort: AbortController | null = null;
  private resourceVersion = '';
  private retryMs = 500;
  /** Count of full lists done (first one + every re-list). */
  lists = 0;

  constructor(
    kc: KubeClientConfig,
    readonly kind: ResourceKind | 'Event',
    private readonly handlers: KindWatcherHandlers,
    private readonly log: Logger,
    private readonly timeoutSeconds = 300,
    private readonly source: ListWatchSource = apiServerSource(kc),
    /** Switches to 'paged' for good when the API server refuses a streaming list. */
    public listMode: ListMode = 'paged',
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async list(): Promise<void> {
    const path = collectionPath(this.kind);
    let cont = '';
    let rv = '';
    this.handlers.onListStart();
    for (;;) {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (cont) q.set('continue', cont);
      const res = await this.source.list(path, q);
      if (res.status === 410 && cont) {
        // The continue token expired mid-list: start over (not a do…while: its
        // `continue` would test the emptied token and end the list page-less).
        this.handlers.onListStart();
        cont = '';
        continue;
      }
      const body = ensureOk(res, `list ${this.kind}`);
      this.handlers.onListPage(body.items);
      cont = body.metadata.continue ?? '';
      rv = body.metadata.resourceVersion ?? rv;
      if (!cont) break;
    }
    this.resourceVersion = rv;
    this.lists++;
    this.handlers.onListEnd();
  }

  /**
   * Resolves when the watch ends: 'gone' means the resourceVersion is too old.
   * With streamList, the watch is a streaming list: its initial events go to
   * the list handlers in pages, its initial-events-end bookmark ends the list
   * ('listed' once the watch ends after that), and 'refused' means the API
   * server did not stream it (refused the request, or ended it before the
   * bookmark).
   */
  private watchOnce(streamList = false): Promise<'ended' | 'gone' | 'listed' | 'refused'> {
    return new Promise((resolve) => {
      let settled = false;
      let listing = streamList;
      let page: KubeObject[] = [];
      const finish = (r: 'ended' | 'gone' | 'refused'): void => {
        if (settled) return;
        settled = true;
        resolve(streamList && !listing && r === 'ended' ? 'listed' : r);
      };
      const flushPage = (): void => {
        if (!listing || page.length === 0) return;
        this.handlers.onListPage(page);
        page = [];
      };
      if (streamList) this.handlers.onListStart();
      const params: WatchParams = streamList
        ? {
            sendInitialEvents: true,
            resourceVersionMatch: 'NotOlderThan',
            allowWatchBookmarks: true,
            timeoutSeconds: this.timeoutSeconds,
          }
        : { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds };
      this.source
        .watch(
          collectionPath(this.kind),
          params,
          (phase: string, obj: unknown) => {
            if (settled) return;
            const o = obj as KubeObject & { code?: number };
            if (phase === 'ERROR') {
              if (o.code === 410) finish('gone');
              else this.log.warn({ kind: this.kind, status: obj }, 'watch error event');
              this.abort?.abort();
              return;
            }
            const rv = o.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            if (listing) {
              if (phase === 'BOOKMARK' && o.metadata?.annotations?.[INITIAL_EVENTS_END] === 'true') {
                // Every current object was sent: the list ends here, the same watch carries the changes.
                if (page.length) this.handlers.onListPage(page);
                page = [];
                listing = false;
                this.lists++;
                this.handlers.onListEnd();
              } else if (phase === 'ADDED') {
                // Handed over once the network chunk that carried them is parsed (a microtask), not
                // after 500: objects kept across chunks outlived young-generation GCs and were
                // promoted, and old space grew with garbage.
                if (page.length === 0) queueMicrotask(flushPage);
                page.push(o);
                if (page.length >= PAGE) flushPage();
              }
              return;
            }
            if (phase === 'BOOKMARK') return;
            this.retryMs = 500;
            this.handlers.onChange(phase as WatchEventType, o);
          },
          (err: unknown) => {
            const code = (err as { statusCode?: number; code?: number } | null)?.statusCode;
            if (code === 410) finish('gone');
            else if (listing && !this.stopped && code !== undefined && code >= 400 && code < 500 && code !== 403)
              finish('refused');
            else if (listing && !this.stopped && !err)
              finish('refused'); // ended without the bookmark
            else {
              if (err && !this.stopped && (err as { name?: string }).name !== 'AbortError')
                this.log.debug({ kind: this.kind, err }, 'watch ended');
              finish('ended');
            }
          },
        )
        .then(
          (ac) => {
            this.abort = ac;
            if (this.stopped) ac.abort();
          },
          (err: unknown) => {
            this.log.warn({ kind: this.kind, err }, 'watch failed to start');
            finish('ended');
          },
        );
    });
  }

  private async loop(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        const started = Date.now();
        let result: 'ended' | 'gone' | 'listed' | 'refused';
        if (needList && this.listMode === 'watch-list') {
          result = await this.watchOnce(true);
          if (result === 'refused') {
            this.log.info({ kind: this.kind }, 'the API server did not stream the list (WatchList): listing in pages');
            this.listMode = 'paged';
            continue;
          }
          if (result === 'listed') needList = false;
        } else {
          if (needList) {
            await this.list();
            needList = false;
          }
          result = await this.watchOnce();
        }
        if (result === 'gone') {
          this.log.info({ kind: this.kind }, 'watch resourceVersion expired (410 Gone): re-listing');
          needList = true;
          continue;
        }
        // A watch that ended quickly was probably an error: back off before resuming.
        if (Date.now() - started < 1000) await this.backoff();
      } catch (err) {
        this.log.warn({ kind: this.kind, err: errorText(err) }, 'list/watch failed; retrying');
        await this.backoff();
      }
    }
  }

  private async backoff(): Promise<void> {
    const wait = Math.random() * this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
    await new Promise((r) => setTimeout(r, wait));
  }
}
