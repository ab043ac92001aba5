// Shell sessions and their recordings in the hub's store. A recording is
// asciicast v2 text appended in chunks while the session runs (bounded memory
// for long sessions), up to a size cap per session.
import { sql, type Kysely } from 'kysely';
import type { ShellSessionView } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';
import type { Database, ShellSessionRow } from '../store/schema.js';
import { AsciicastWriter, type AsciicastHeader } from './asciicast.js';

export type { ShellSessionView } from '@wheelhouse/protocol';

export function toSessionView(r: ShellSessionRow): ShellSessionView {
  return {
    id: r.id,
    cluster: r.cluster_id,
    namespace: r.namespace,
    pod: r.pod,
    container: r.container,
    command: JSON.parse(r.command) as string[],
    user: r.username,
    kubeUser: r.kube_user,
    clientAddress: r.client_address,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.ended_at === null ? null : r.ended_at - r.started_at,
    reason: r.end_reason,
    exitCode: r.exit_code,
    recording: {
      // Recorded, and not yet removed by retention.
      available: r.recorded === 1 && r.recording_expired_at === null,
      bytes: r.recording_bytes,
      truncated: r.recording_truncated === 1,
      input: r.input_captured === 1,
    },
    reattaches: r.reattach_count,
  };
}

export interface SessionQuery {
  cluster?: string;
  user?: string;
  from?: number;
  to?: number;
  /** started_at of the last item of the previous page, with its id. */
  before?: { startedAt: number; id: string };
  limit: number;
}

/** A session as it starts (before the agent has opened the exec). */
export interface ShellSessionStart {
  id: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  command: readonly string[];
  user: string;
  clientAddress: string;
  startedAt: number;
  recorded: boolean;
  inputCaptured: boolean;
}

export class ShellStore {
  /** replicaId: the hub replica whose relay carries the sessions this store starts (start-up cleanup's scope). */
  constructor(
    private readonly db: HubDb,
    private readonly replicaId: string | null = null,
  ) {}

  /** The session's row; inside the caller's transaction so its start and its audit record commit together. */
  async insertStarted(trx: Kysely<Database>, s: ShellSessionStart): Promise<void> {
    await trx
      .insertInto('shell_sessions')
      .values({
        id: s.id,
        cluster_id: s.cluster,
        namespace: s.namespace,
        pod: s.pod,
        container: s.container,
        command: JSON.stringify(s.command),
        username: s.user,
        kube_user: null,
        client_address: s.clientAddress,
        started_at: s.startedAt,
        ended_at: null,
        end_reason: null,
        exit_code: null,
        recorded: s.recorded ? 1 : 0,
        input_captured: s.inputCaptured ? 1 : 0,
        recording_bytes: 0,
        recording_truncated: 0,
        replica_id: this.replicaId,
      })
      .execute();
  }

  async list(q: SessionQuery): Promise<ShellSessionView[]> {
    let sel = this.db.selectFrom('shell_sessions').selectAll();
    if (q.cluster) sel = sel.where('cluster_id', '=', q.cluster);
    if (q.user) sel = sel.where('username', '=', q.user);
    if (q.from !== undefined) sel = sel.where('started_at', '>=', q.from);
    if (q.to !== undefined) sel = sel.where('started_at', '<=', q.to);
    const before = q.before;
    if (before) {
      sel = sel.where((eb) =>
        eb.or([
          eb('started_at', '<', before.startedAt),
          eb.and([eb('started_at', '=', before.startedAt), eb('id', '<', before.id)]),
        ]),
      );
    }
    const rows = await sel.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toSessionView);
  }

  async get(id: string): Promise<ShellSessionView | null> {
    const row = await this.db.selectFrom('shell_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSessionView(row) : null;
  }

  /** The whole asciicast text, chunks in order. */
  async recording(id: string): Promise<string> {
    const rows = await this.db
      .selectFrom('shell_recordings')
      .select('data')
      .where('session_id', '=', id)
      .orderBy('seq')
      .execute();
    return rows.map((r) => r.data).join('');
  }

  async setOpened(id: string, command: string[], kubeUser: string | null): Promise<void> {
    await this.db
      .updateTable('shell_sessions')
      .set({ command: JSON.stringify(command), kube_user: kubeUser })
      .where('id', '=', id)
      .execute();
  }

  async setEnded(id: string, endedAt: number, reason: string, exitCode: number | null): Promise<void> {
    await this.db
      .updateTable('shell_sessions')
      .set({ ended_at: endedAt, end_reason: reason, exit_code: exitCode })
      .where('id', '=', id)
      .execute();
  }

  async appendRecording(id: string, seq: number, data: string, totalBytes: number, truncated: boolean): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('shell_recordings').values({ session_id: id, seq, data }).execute();
      await trx
        .updateTable('shell_sessions')
        .set({ recording_bytes: totalBytes, recording_truncated: truncated ? 1 : 0 })
        .where('id', '=', id)
        .execute();
    });
  }

  /**
   * Sessions whose relay died (a hub restart, a replica killed) can never end
   * normally: close them as agent-lost. With liveReplicas, only sessions of
   * other replicas (or of none recorded) are touched: a live sibling's sessions go on.
   */
  async closeOrphans(now: number, liveReplicas?: readonly string[]): Promise<number> {
    let q = this.db
      .updateTable('shell_sessions')
      .set({ ended_at: now, end_reason: sql<string>`'agent-lost'` })
      .where('ended_at', 'is', null);
    if (liveReplicas && liveReplicas.length > 0) {
      q = q.where((eb) => eb.or([eb('replica_id', 'is', null), eb('replica_id', 'not in', liveReplicas)]));
    }
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}

/** Flush the buffered recording at this size, or FLUSH_MS after the first unflushed event. */
const FLUSH_BYTES = 32 * 1024;
const FLUSH_MS = 1000;

/**
 * Records one session: events are encoded as they happen, buffered briefly
 * and appended to the store in order (one write at a time). An event that
 * would pass the cap is not recorded: the recording says so in a last output
 * event and stops, and onCap tells the relay, which ends the session — a
 * recorded session never goes on unrecorded (docs/pod-shell.md).
 */
export class Recorder {
  private readonly writer: AsciicastWriter;
  private buffer = '';
  private bytes = 0;
  private seq = 0;
  private truncated = false;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ShellStore,
    private readonly sessionId: string,
    private readonly startedAtMs: number,
    header: AsciicastHeader,
    private readonly maxBytes: number,
    readonly captureInput: boolean,
    private readonly onError: (err: unknown) => void,
    private readonly onCap: () => void = () => undefined,
  ) {
    this.writer = new AsciicastWriter(startedAtMs, header);
    this.add(this.writer.headerLine(), startedAtMs);
  }

  /** Whether the cap was reached (nothing more is recorded). */
  get full(): boolean {
    return this.truncated;
  }

  /** Bytes of asciicast text recorded so far. */
  get size(): number {
    return this.bytes;
  }

  output(at: number, bytes: Uint8Array): void {
    if (!this.truncated) this.add(this.writer.output(at, bytes), at);
  }

  input(at: number, bytes: Uint8Array): void {
    if (this.captureInput && !this.truncated) this.add(this.writer.input(at, bytes), at);
  }

  resize(at: number, cols: number, rows: number): void {
    if (!this.truncated) this.add(this.writer.resize(at, cols, rows), at);
  }

  /** Writes what is left; resolves when everything is stored. */
  async finish(at: number): Promise<void> {
    if (!this.truncated) this.add(this.writer.finish(at), at);
    this.flush();
    await this.chain;
  }

  private add(line: string, at: number): void {
    if (!line) return;
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.maxBytes) {
      this.truncated = true;
      const note = `${JSON.stringify([Math.max(0, at - this.startedAtMs) / 1000, 'o', `\r\n[wheelhouse: the recording reached its ${this.maxBytes}-byte cap; the session was ended]\r\n`])}\n`;
      this.buffer += note;
      this.bytes += Buffer.byteLength(note);
      this.flush();
      this.onCap();
      return;
    }
    this.buffer += line;
    this.bytes += size;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.buffer) return;
    const data = this.buffer;
    const seq = this.seq++;
    const total = this.bytes;
    const truncated = this.truncated;
    this.buffer = '';
    this.chain = this.chain
      .then(() => this.store.appendRecording(this.sessionId, seq, data, total, truncated))
      .catch(this.onError);
  }
}
