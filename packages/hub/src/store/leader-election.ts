// Which hub process runs the background work (command expiry, retention) when
// several share one PostgreSQL store: the one holding a session-level
// advisory lock. The lock lives as long as its connection, so a holder that
// dies (kill -9, lost network) frees it and another process takes over within
// one check interval. On SQLite there is one process: it is always the leader.
import { sql } from 'kysely';
import type { HubDb } from './db.js';
import { isPostgres } from './dialect.js';
import { LOCK_KEYS } from './advisory-locks.js';

export interface LeaderElectionOptions {
  /** How often a follower tries to take the lock and the leader checks its connection (default 2 s). */
  checkMs?: number;
  /** Told on every change (metrics, logs). */
  onChange?: (leader: boolean) => void;
  /** Told when the leader's connection failed (logged by the hub). */
  onError?: (err: unknown) => void;
}

export class LeaderElection {
  private leader = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly db: HubDb,
    private readonly opts: LeaderElectionOptions = {},
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.loop) return;
    if (!isPostgres(this.db)) {
      this.set(true);
      this.loop = Promise.resolve();
      return;
    }
    this.loop = this.campaign();
  }

  /** Gives the lock up (its connection goes back to the pool unlocked). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.set(false);
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.opts.onChange?.(leader);
  }

  /** Waits one check interval, or not at all once stop() was called. */
  private sleep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, this.opts.checkMs ?? 2000);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async campaign(): Promise<void> {
    const key = LOCK_KEYS.leader.toString();
    while (!this.stopped) {
      try {
        // One pooled connection held for as long as this process campaigns or leads:
        // the advisory lock belongs to its session.
        await this.db.connection().execute(async (conn) => {
          while (!this.stopped) {
            if (!this.leader) {
              const r = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${key}::bigint) AS ok`.execute(conn);
              if (r.rows[0]?.ok) this.set(true);
            } else {
              await sql`SELECT 1`.execute(conn); // the session, and so the lock, is still there
            }
            await this.sleep();
          }
          if (this.leader) await sql`SELECT pg_advisory_unlock(${key}::bigint)`.execute(conn);
        });
      } catch (err) {
        // The connection broke: whatever lock it held is gone with it.
        this.set(false);
        this.opts.onError?.(err);
        await this.sleep();
      }
    }
  }
}
