// Whole-workload logs (stern-style): one browser WebSocket follows every
// container of every pod of a Deployment/StatefulSet/DaemonSet/Job. The hub
// opens one ordinary agent log stream per container (LogRelay.openSink) and
// merges them, line by line, each tagged with its pod and container.
//
// Pods join and leave as they are replaced: the stream re-reads the workload's
// pods from the inventory when the live bus reports a Pod or ReplicaSet change
// in the namespace (and every few seconds, for snapshots the bus does not
// carry). A pod that joins after the stream started is read from its start
// (sinceSeconds = its age), so a rollout's new pods show their first lines.
//
// Bounded: at most maxContainers containers are followed at once (the rest are
// named in a `limited` frame), and while the browser socket has more than
// maxBuffered bytes queued, whole lines are dropped and counted
// ({type:"dropped", bytes, lines} once it drains).
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  DEFAULT_WORKLOAD_LOG_MAX_CONTAINERS,
  DEFAULT_WORKLOAD_LOG_STREAMS_PER_USER,
  LOGS_CLIENT_MAX_BUFFERED,
  type InventoryItemOf,
  type LogsEndReason,
  type WorkloadLogKind,
  type WorkloadLogsServerMessage,
} from '@wheelhouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { LiveBus } from '../live/live-bus.js';
import type { LogRelay } from './log-relay.js';
import { podsOfWorkload } from './workload-pods.js';

export interface WorkloadLogRequest {
  user: string;
  cluster: string;
  namespace: string;
  kind: WorkloadLogKind;
  name: string;
  /** Only this container of each pod; every (non-init) container when absent. */
  container?: string;
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
}

export interface WorkloadLogOptions {
  /** Whole-workload streams per user at once (default 3; 429 too_many_workload_log_streams above it). */
  maxStreamsPerUser?: number;
  /** Containers one stream follows at once (default 20). */
  maxContainers?: number;
  /** Drop lines for a browser socket with more than this many bytes queued (default 1 MiB). */
  maxBuffered?: number;
  /** Re-read the pods at least this often while following (default 5 s; the live bus usually triggers sooner). */
  rescanMs?: number;
}

type Pod = InventoryItemOf<'Pod'>;

interface Follow {
  key: string;
  pod: string;
  container: string;
  podUid: string;
  /** The container's restart count when opened: a restart opens the new instance's log. */
  restarts: number;
  partial: string;
  close: (() => void) | null;
  open: boolean;
}

interface Stream {
  id: string;
  req: WorkloadLogRequest;
  client: WebSocket;
  follows: Map<string, Follow>;
  /** Keys (pod uid, container, restart count) already read to their end: not opened again. */
  done: Set<string>;
  /** Containers named in a `limited` frame (said once). */
  limited: Set<string>;
  droppedBytes: number;
  droppedLines: number;
  drainTimer: NodeJS.Timeout | null;
  rescanTimer: NodeJS.Timeout | null;
  scanQueued: NodeJS.Timeout | null;
  scanning: Promise<void> | null;
  unsubscribe: () => void;
  startedAt: number;
  firstScan: boolean;
  ended: boolean;
}

export class WorkloadLogRelay {
  private readonly streams = new Map<string, Stream>();
  readonly maxStreamsPerUser: number;
  private readonly maxContainers: number;
  private readonly maxBuffered: number;
  private readonly rescanMs: number;

  constructor(
    private readonly deps: {
      relay: LogRelay;
      inventory: Pick<InventoryStore, 'query' | 'get'>;
      live: LiveBus;
      audit: Pick<AuditLog, 'record'>;
      log?: FastifyBaseLogger;
      options?: WorkloadLogOptions;
    },
  ) {
    const o = deps.options ?? {};
    this.maxStreamsPerUser = o.maxStreamsPerUser ?? DEFAULT_WORKLOAD_LOG_STREAMS_PER_USER;
    this.maxContainers = o.maxContainers ?? DEFAULT_WORKLOAD_LOG_MAX_CONTAINERS;
    this.maxBuffered = o.maxBuffered ?? LOGS_CLIENT_MAX_BUFFERED;
    this.rescanMs = o.rescanMs ?? 5000;
  }

  activeFor(user: string): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.req.user === user) n++;
    return n;
  }

  /** Containers followed now, over every stream (tests, metrics). */
  stats(): { streams: number; containers: number } {
    let containers = 0;
    for (const s of this.streams.values()) for (const f of s.follows.values()) if (f.open) containers++;
    return { streams: this.streams.size, containers };
  }

  /** Starts on an upgraded socket (every check has passed); audits, then opens the pods' streams. */
  start(client: WebSocket, req: WorkloadLogRequest): string {
    const s: Stream = {
      id: randomUUID(),
      req,
      client,
      follows: new Map(),
      done: new Set(),
      limited: new Set(),
      droppedBytes: 0,
      droppedLines: 0,
      drainTimer: null,
      rescanTimer: null,
      scanQueued: null,
      scanning: null,
      unsubscribe: () => undefined,
      startedAt: Date.now(),
      firstScan: true,
      ended: false,
    };
    this.streams.set(s.id, s);
    client.on('close', () => this.end(s, 'closed', undefined));
    client.on('error', () => undefined);
    void this.begin(s);
    return s.id;
  }

  closeAll(): void {
    for (const s of [...this.streams.values()]) this.end(s, 'closed', 'the hub is shutting down');
  }

  private async begin(s: Stream): Promise<void> {
    const { req } = s;
    try {
      await this.deps.audit.record({
        actor: req.user,
        action: 'logs.open_workload',
        clusterId: req.cluster,
        target: { kind: req.kind, namespace: req.namespace, name: req.name },
        params: { container: req.container ?? null },
        outcome: 'allowed',
        detail: {
          streamId: s.id,
          follow: req.follow,
          container: req.container ?? null,
          tailLines: req.tailLines ?? null,
          sinceSeconds: req.sinceSeconds ?? null,
        },
      });
    } catch (err) {
      this.deps.log?.error({ err }, 'auditing the workload log stream failed');
      this.end(s, 'error', 'the hub could not record the log stream; try again');
      return;
    }
    if (s.ended) return;
    if (req.follow) {
      s.unsubscribe = this.deps.live.subscribe((m) => {
        if (m.type !== 'inventory' || m.cluster !== req.cluster) return;
        const touches = (i: { kind: string; namespace: string }): boolean =>
          i.namespace === req.namespace && (i.kind === 'Pod' || i.kind === 'ReplicaSet' || i.kind === req.kind);
        if (m.upserts.some(touches) || m.deletes.some(touches)) this.queueScan(s);
      });
      s.rescanTimer = setInterval(() => this.queueScan(s), this.rescanMs);
    }
    await this.scan(s);
    if (!req.follow && !isEnded(s) && this.openCount(s) === 0) this.end(s, 'eof', undefined);
  }

  private queueScan(s: Stream): void {
    if (s.ended || s.scanQueued) return;
    // Changes come in bursts (a rollout touches many objects); one re-read for each burst.
    s.scanQueued = setTimeout(() => {
      s.scanQueued = null;
      void this.scan(s);
    }, 100);
  }

  private async scan(s: Stream): Promise<void> {
    if (s.scanning) {
      await s.scanning;
      return this.queueScan(s);
    }
    s.scanning = this.rescan(s).catch((err: unknown) => {
      this.deps.log?.warn({ err }, 'reading the pods of a workload failed');
    });
    await s.scanning;
    s.scanning = null;
  }

  private async rescan(s: Stream): Promise<void> {
    const { req } = s;
    if (s.ended) return;
    const workload = await this.deps.inventory.get(req.cluster, req.kind, req.namespace, req.name);
    if (!workload) {
      this.end(s, 'eof', `${req.kind} ${req.namespace}/${req.name} was deleted`);
      return;
    }
    const pods = await podsOfWorkload(this.deps.inventory, req.cluster, req.namespace, req.kind, req.name);
    if (isEnded(s)) return; // the client left while the inventory was read
    const first = s.firstScan;
    s.firstScan = false;
    const present = new Set<string>();
    for (const pod of pods) {
      for (const c of pod.summary.containers) {
        if (req.container !== undefined && c.name !== req.container) continue;
        // A container that never started has no log yet (Kubernetes answers "waiting to start").
        if (c.state !== 'running' && c.state !== 'terminated') continue;
        const key = `${pod.uid}/${c.name}/${c.restartCount}`;
        present.add(`${pod.uid}/${c.name}`);
        if (s.follows.has(key) || s.done.has(key)) continue;
        // A restarted container: its old instance's stream has ended or will; follow the new one.
        this.openFollow(s, pod, c.name, c.restartCount, first);
      }
    }
    // Pods gone from the inventory (deleted, replaced): stop following them.
    for (const f of [...s.follows.values()]) {
      if (!present.has(`${f.podUid}/${f.container}`)) this.leave(s, f, 'deleted', 'the pod was deleted');
    }
  }

  private openCount(s: Stream): number {
    let n = 0;
    for (const f of s.follows.values()) if (f.open) n++;
    return n;
  }

  private openFollow(s: Stream, pod: Pod, container: string, restarts: number, first: boolean): void {
    const { req } = s;
    const key = `${pod.uid}/${container}/${restarts}`;
    if (this.openCount(s) >= this.maxContainers) {
      const name = `${pod.name}/${container}`;
      if (!s.limited.has(name)) {
        s.limited.add(name);
        this.toClient(s, { type: 'limited', pod: pod.name, container, limit: this.maxContainers });
      }
      return;
    }
    // The pods there at the start: what the client asked for. Pods that join later: from their start.
    const since = first
      ? req.sinceSeconds
      : Math.max(1, Math.ceil((Date.now() - (pod.summary.startTime ?? pod.createdAt)) / 1000) + 1);
    const f: Follow = {
      key,
      pod: pod.name,
      container,
      podUid: pod.uid,
      restarts,
      partial: '',
      close: null,
      open: true,
    };
    s.follows.set(key, f);
    const handle = this.deps.relay.openSink(
      {
        user: req.user,
        cluster: req.cluster,
        namespace: req.namespace,
        pod: pod.name,
        container,
        follow: req.follow,
        previous: false,
        timestamps: req.timestamps,
        ...(first && req.tailLines !== undefined ? { tailLines: req.tailLines } : {}),
        ...(!first ? { tailLines: 100_000 } : {}),
        ...(since !== undefined ? { sinceSeconds: since } : {}),
      },
      {
        onData: (text) => this.onData(s, f, text),
        onEnd: (reason, message) => this.onFollowEnd(s, f, reason, message),
      },
    );
    if (!handle) {
      this.end(s, 'agent-lost', `the agent of cluster "${req.cluster}" is not connected`);
      return;
    }
    f.close = handle.close;
    this.toClient(s, { type: 'joined', pod: pod.name, container });
  }

  /** Whole lines only: a container's partial last line waits for its newline (or its end). */
  private onData(s: Stream, f: Follow, text: string): void {
    if (s.ended || !f.open) return;
    const all = f.partial + text;
    const cut = all.lastIndexOf('\n');
    if (cut < 0) {
      f.partial = all;
      return;
    }
    f.partial = all.slice(cut + 1);
    this.emit(s, f, all.slice(0, cut + 1));
  }

  private emit(s: Stream, f: Follow, lines: string): void {
    if (s.client.readyState !== s.client.OPEN) return;
    if (s.client.bufferedAmount > this.maxBuffered) {
      s.droppedBytes += Buffer.byteLength(lines, 'utf8');
      s.droppedLines += countLines(lines);
      s.drainTimer ??= setInterval(() => this.reportDropped(s), 100);
      return;
    }
    this.reportDropped(s);
    this.toClient(s, { type: 'data', pod: f.pod, container: f.container, text: lines });
  }

  private reportDropped(s: Stream): void {
    if (s.droppedLines === 0 && s.droppedBytes === 0) return;
    if (s.client.bufferedAmount > this.maxBuffered) return;
    this.toClient(s, { type: 'dropped', bytes: s.droppedBytes, lines: s.droppedLines });
    s.droppedBytes = 0;
    s.droppedLines = 0;
    if (s.drainTimer) clearInterval(s.drainTimer);
    s.drainTimer = null;
  }

  private onFollowEnd(s: Stream, f: Follow, reason: LogsEndReason, message: string | undefined): void {
    if (!f.open) return;
    f.open = false;
    if (f.partial) this.emit(s, f, `${f.partial}\n`);
    f.partial = '';
    s.follows.delete(f.key);
    s.done.add(f.key);
    if (s.ended) return;
    if (reason === 'agent-lost') return this.end(s, 'agent-lost', message);
    this.toClient(s, { type: 'left', pod: f.pod, container: f.container, reason, ...(message ? { message } : {}) });
    if (!s.req.follow && this.openCount(s) === 0) this.end(s, 'eof', undefined);
  }

  private leave(s: Stream, f: Follow, reason: 'deleted', message: string): void {
    if (!f.open) return;
    f.open = false;
    f.close?.();
    if (f.partial) this.emit(s, f, `${f.partial}\n`);
    s.follows.delete(f.key);
    s.done.add(f.key);
    this.toClient(s, { type: 'left', pod: f.pod, container: f.container, reason, message });
  }

  private toClient(s: Stream, msg: WorkloadLogsServerMessage): void {
    if (s.client.readyState === s.client.OPEN) s.client.send(JSON.stringify(msg));
  }

  private end(s: Stream, reason: LogsEndReason, message: string | undefined): void {
    if (s.ended) return;
    s.ended = true;
    this.streams.delete(s.id);
    s.unsubscribe();
    if (s.rescanTimer) clearInterval(s.rescanTimer);
    if (s.scanQueued) clearTimeout(s.scanQueued);
    for (const f of s.follows.values()) {
      f.open = false;
      f.close?.();
      if (f.partial) this.emit(s, f, `${f.partial}\n`);
    }
    s.follows.clear();
    if (s.drainTimer) clearInterval(s.drainTimer);
    this.reportDropped(s);
    if (s.droppedLines > 0) this.toClient(s, { type: 'dropped', bytes: s.droppedBytes, lines: s.droppedLines });
    this.toClient(s, { type: 'end', reason, ...(message ? { message } : {}) });
    if (s.client.readyState === s.client.OPEN) s.client.close(1000, reason);
  }
}

/** Reads the flag afresh after an await (the socket may have closed meanwhile). */
const isEnded = (s: Stream): boolean => s.ended;

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
