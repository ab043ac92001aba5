// The fan-in load generator: simulated agents that replay a recording of a
// real agent (fan-in/record.ts) over the real agent protocol — one WebSocket
// each, authenticated with a real cluster token, every message the schema the
// hub validates — and browser live sockets (GET /api/v1/live, the console's
// protocol, a real session cookie) that check what they receive.
//
// Markers: every replayed inventory.changes message of a cluster gets a
// sequence number, written as the resourceVersion of its upserts (a delete-only
// message is known by its first delete's uid). A browser maps each live
// inventory message back to (cluster, seq): the send time gives the latency,
// and gaps in the sequence are drops — covered when an overflow notice came
// before the next message (the hub's contract), uncovered otherwise.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { WebSocket } from 'ws';
import { AGENT_CONNECT_PATH } from '@wheelhouse/protocol';

interface Entry {
  phase: 'connect' | 'changes';
  t: number;
  msg: { type: string } & Record<string, unknown>;
}

export interface Recording {
  /** hello, snapshots, first insights: sent on every connect. */
  connect: string[];
  /** Everything after, in order: inventory.changes, timeline, insights.changes. */
  changes: string[];
  /** Uids of objects the connect phase knows: kept as they are in every loop. */
  knownUids: ReadonlySet<string>;
  /** Namespaces the workload created: renamed per loop, like the uids of what it created. */
  workloadNamespaces: string[];
  /** Inventory changes (upserts + deletes) in one pass over `changes`. */
  unitsPerPass: number;
}

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Above any resourceVersion of the recording, so a marker is never taken for a snapshot's item. */
const MARK_BASE = 10_000_000_000;

export function loadRecording(file: string): Recording {
  const entries = gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Entry);
  const connect = entries.filter((e) => e.phase === 'connect').map((e) => e.msg);
  const changes = entries.filter((e) => e.phase === 'changes').map((e) => e.msg);
  const knownUids = new Set<string>();
  for (const m of connect)
    if (m.type === 'inventory.snapshot') for (const i of m.items as { uid: string }[]) knownUids.add(i.uid);
  const workloadNamespaces = new Set<string>();
  let unitsPerPass = 0;
  for (const m of changes) {
    if (m.type !== 'inventory.changes') continue;
    const upserts = m.upserts as { kind: string; name: string; uid: string }[];
    const deletes = m.deletes as unknown[];
    unitsPerPass += upserts.length + deletes.length;
    for (const u of upserts) if (u.kind === 'Namespace' && !knownUids.has(u.uid)) workloadNamespaces.add(u.name);
  }
  if (!connect.some((m) => m.type === 'hello')) throw new Error('the recording has no hello');
  if (unitsPerPass === 0) throw new Error('the recording has no inventory changes');
  return {
    connect: connect.map((m) => JSON.stringify(m)),
    changes: changes.map((m) => JSON.stringify(m)),
    knownUids,
    workloadNamespaces: [...workloadNamespaces],
    unitsPerPass,
  };
}

/** Pass `loop` of the changes: what the workload created gets new uids and namespace names, so passes do not collide. */
function passOf(rec: Recording, loop: number): string[] {
  if (loop === 0) return rec.changes;
  return rec.changes.map((text) => {
    let out = text.replace(UID, (uid) => (rec.knownUids.has(uid) ? uid : `${uid}-${loop}`));
    for (const ns of rec.workloadNamespaces) out = out.replaceAll(`"${ns}"`, `"${ns}-${loop}"`);
    return out;
  });
}

/** What every browser of a cluster should get, and when each message was sent. */
export class ClusterLedger {
  /** Per seq (from 1): send time (performance.now()) and inventory changes carried. */
  readonly sentAt: number[] = [0];
  readonly units: number[] = [0];
  /** Delete-only messages: first deleted uid → seq. */
  readonly byDeleteUid = new Map<string, number>();
  constructor(readonly cluster: string) {}
  get lastSeq(): number {
    return this.sentAt.length - 1;
  }
  unitsBetween(from: number, to: number): number {
    let n = 0;
    for (let s = from; s <= to; s++) n += this.units[s] ?? 0;
    return n;
  }
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });
}

/** One simulated agent: a cluster of its own on the hub, replaying the recording at the pace it is asked for. */
export class SimAgent {
  private ws: WebSocket | null = null;
  private loop = 0;
  private pos = 0;
  private pass: string[] = [];
  private pongs = new Map<number, () => void>();
  private pingSeq = 0;
  readonly ledger: ClusterLedger;
  closeReason = '';

  constructor(
    private readonly hubUrl: string,
    private readonly token: string,
    readonly cluster: string,
    private readonly rec: Recording,
  ) {
    this.ledger = new ClusterLedger(cluster);
    this.pass = passOf(rec, 0);
  }

  /** Opens the link, says hello, waits for welcome, then sends the recorded snapshot (a fresh snapshot id). */
  async connect(): Promise<void> {
    const ws = new WebSocket(`${this.hubUrl.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    this.ws = ws;
    const welcome = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as { type: string; t?: number };
        if (m.type === 'welcome') resolve();
        else if (m.type === 'pong' && m.t !== undefined) this.pongs.get(m.t)?.();
        else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong', t: m.t }));
      });
      ws.once('close', (code, reason) => {
        this.closeReason = `${code} ${reason.toString()}`;
        reject(new Error(`agent link of ${this.cluster} closed: ${this.closeReason}`));
      });
    });
    await opened(ws);
    const snapshotId = `fanin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const [hello, ...rest] = this.rec.connect;
    if (!hello) throw new Error('no hello');
    ws.send(hello);
    await welcome;
    for (const text of rest) {
      const m = JSON.parse(text) as { type: string; snapshotId?: string };
      if (m.type === 'inventory.snapshot') m.snapshotId = snapshotId;
      ws.send(JSON.stringify(m));
    }
    await this.settled();
  }

  /** Resolves once the hub has handled everything sent so far (it handles a link's messages in order). */
  settled(timeoutMs = 120_000): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new Error(`${this.cluster}: not connected (${this.closeReason})`));
    const t = ++this.pingSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.cluster}: no pong in ${timeoutMs} ms`)), timeoutMs);
      this.pongs.set(t, () => {
        clearTimeout(timer);
        this.pongs.delete(t);
        resolve();
      });
      ws.send(JSON.stringify({ type: 'ping', t }));
    });
  }

  /** Sends the next recorded message (marked, timestamped now); returns the inventory changes it carried. */
  sendNext(): number {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error(`${this.cluster}: link closed (${this.closeReason})`);
    if (this.pos >= this.pass.length) {
      this.loop++;
      this.pos = 0;
      this.pass = passOf(this.rec, this.loop);
    }
    const text = this.pass[this.pos++] ?? '';
    const m = JSON.parse(text) as Record<string, unknown> & { type: string };
    if (m.type === 'timeline') {
      const now = Date.now();
      for (const e of m.events as { time: number }[]) e.time = now;
    }
    if (m.type !== 'inventory.changes') {
      ws.send(JSON.stringify(m));
      return 0;
    }
    const upserts = m.upserts as { resourceVersion: string }[];
    const deletes = m.deletes as { uid: string }[];
    const ledger = this.ledger;
    const seq = ledger.lastSeq + 1;
    for (const u of upserts) u.resourceVersion = String(MARK_BASE + seq);
    const firstDelete = deletes[0];
    if (upserts.length === 0 && firstDelete) ledger.byDeleteUid.set(firstDelete.uid, seq);
    const out = JSON.stringify(m);
    ledger.units.push(upserts.length + deletes.length);
    ledger.sentAt.push(performance.now());
    ws.send(out);
    return upserts.length + deletes.length;
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'bench done');
    });
  }
}

/** Per browser: what it got of its cluster's changes, how late, and what it missed. */
export interface BrowserTally {
  received: number;
  /** Inventory changes missed behind an overflow notice (the console refetches). */
  covered: number;
  /** Inventory changes missed with no overflow notice: must be 0. */
  uncovered: number;
  overflows: number;
}

/** One browser tab's live socket on a cluster (the console opens one per cluster it shows). */
export class SimBrowser {
  private ws: WebSocket | null = null;
  private last = 0;
  private overflowSeen = false;
  readonly tally: BrowserTally = { received: 0, covered: 0, uncovered: 0, overflows: 0 };
  lastReceipt = 0;

  constructor(
    private readonly hubUrl: string,
    private readonly cookie: string,
    readonly ledger: ClusterLedger,
    private readonly latencies: number[],
  ) {}

  /** Opens the socket as the console does (session cookie, the hub's Origin) and waits for `subscribed`. */
  async connect(): Promise<void> {
    const url = `${this.hubUrl.replace(/^http/, 'ws')}/api/v1/live?cluster=${encodeURIComponent(this.ledger.cluster)}`;
    const ws = new WebSocket(url, { headers: { cookie: this.cookie, origin: this.hubUrl } });
    this.ws = ws;
    const subscribed = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as {
          type: string;
          upserts?: { resourceVersion: string }[];
          deletes?: { uid: string }[];
        };
        if (m.type === 'subscribed') resolve();
        else if (m.type === 'overflow') {
          this.tally.overflows++;
          this.overflowSeen = true;
        } else if (m.type === 'inventory') this.onInventory(m.upserts ?? [], m.deletes ?? []);
      });
    });
    await opened(ws);
    await subscribed;
    // Start counting from what was sent before this socket subscribed.
    this.last = this.ledger.lastSeq;
  }

  private seqOf(upserts: { resourceVersion: string }[], deletes: { uid: string }[]): number | undefined {
    const first = upserts[0];
    if (first) {
      const n = Number(first.resourceVersion) - MARK_BASE;
      return n > 0 ? n : undefined; // a snapshot's item: not a replayed change
    }
    const del = deletes[0];
    return del ? this.ledger.byDeleteUid.get(del.uid) : undefined;
  }

  private onInventory(upserts: { resourceVersion: string }[], deletes: { uid: string }[]): void {
    const seq = this.seqOf(upserts, deletes);
    if (seq === undefined || seq <= this.last) return;
    const now = performance.now();
    this.lastReceipt = now;
    this.latencies.push(now - (this.ledger.sentAt[seq] ?? now));
    this.tally.received += upserts.length + deletes.length;
    const missed = this.ledger.unitsBetween(this.last + 1, seq - 1);
    if (this.overflowSeen) this.tally.covered += missed;
    else this.tally.uncovered += missed;
    this.overflowSeen = false;
    this.last = seq;
  }

  /** At the end: what was sent and never came is uncovered (no later message brought a notice). */
  finish(): void {
    const missed = this.ledger.unitsBetween(this.last + 1, this.ledger.lastSeq);
    if (this.overflowSeen) this.tally.covered += missed;
    else this.tally.uncovered += missed;
    this.last = this.ledger.lastSeq;
  }

  /** Every change sent so far has come (or was covered by a notice). */
  caughtUp(): boolean {
    return this.last >= this.ledger.lastSeq;
  }

  close(): void {
    this.ws?.terminate();
  }
}

/**
 * Sends `rate` inventory changes per second in total, spread evenly over the
 * agents (each its share, as its own recording's messages come: timeline and
 * insights messages between them go out as they fall). Ticks every 5 ms; an
 * agent that fell behind catches up, so the rate is kept on average.
 */
export async function drive(agents: SimAgent[], rate: number, seconds: number): Promise<number> {
  const perAgent = rate / agents.length;
  const start = performance.now();
  const end = start + seconds * 1000;
  // Staggered starts, so the agents do not all send in the same tick.
  const next = agents.map((_, i) => start + (i / agents.length) * (1000 / Math.max(perAgent, 1)));
  let sent = 0;
  while (performance.now() < end) {
    const now = performance.now();
    for (const [i, a] of agents.entries()) {
      let due = next[i] ?? end;
      while (due <= now && due < end) {
        let units = 0;
        for (let guard = 0; units === 0 && guard < 1000; guard++) units = a.sendNext();
        sent += units;
        due += (units / perAgent) * 1000;
      }
      next[i] = due;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent;
}
