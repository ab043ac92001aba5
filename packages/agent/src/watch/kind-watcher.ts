// List + watch for one kind: paginated list, then a watch resumed from the
// last resourceVersion seen (bookmarks keep it fresh), a re-list on 410 Gone,
// and backoff on errors. The caller gets the full list after every (re)list
// and each change after that.
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

export type WatchParams = { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number };

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

  /** Resolves when the watch ends: 'gone' means the resourceVersion is too old. */
  private watchOnce(): Promise<'ended' | 'gone'> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: 'ended' | 'gone'): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      this.source
        .watch(
          collectionPath(this.kind),
          { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds },
          (phase: string, obj: unknown) => {
            const o = obj as KubeObject & { code?: number };
            if (phase === 'ERROR') {
              if (o.code === 410) finish('gone');
              else this.log.warn({ kind: this.kind, status: obj }, 'watch error event');
              this.abort?.abort();
              return;
            }
            const rv = o.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            if (phase === 'BOOKMARK') return;
            this.retryMs = 500;
            this.handlers.onChange(phase as WatchEventType, o);
          },
          (err: unknown) => {
            const code = (err as { statusCode?: number; code?: number } | null)?.statusCode;
            if (code === 410) finish('gone');
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
        if (needList) {
          await this.list();
          needList = false;
        }
        const started = Date.now();
        const result = await this.watchOnce();
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
