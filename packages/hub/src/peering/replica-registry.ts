// Which hub replicas are alive and which one holds each agent link, kept in
// the store (tables hub_replicas, agent_links). Every replica writes its own
// heartbeat; a replica whose heartbeat is older than staleMs is dead (kill -9,
// lost network), and the leader clears what it held (sweepDead). On SQLite
// there is one process: the same rows (no heartbeat, no sweep), and start-up
// treats every earlier row as dead.
import { randomUUID } from 'node:crypto';
import type { HubDb } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';

export interface ReplicaRegistryOptions {
  /** This replica's URL for its siblings' internal peer route (null: none). */
  peerUrl?: string | null;
  /** How often the heartbeat is written (default 2 s). */
  heartbeatMs?: number;
  /** A heartbeat older than this means the replica is dead (default 5 × heartbeatMs). */
  staleMs?: number;
  onError?: (err: unknown) => void;
}

/** The links this replica holds now, and what to do when one had to be recorded again. */
export interface LocalLinks {
  clusters(): string[];
  reclaimed(cluster: string): Promise<void>;
}

export interface LinkHolder {
  replicaId: string;
  peerUrl: string | null;
}

export class ReplicaRegistry {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private local: LocalLinks | null = null;
  readonly heartbeatMs: number;
  readonly staleMs: number;

  constructor(
    private readonly db: HubDb,
    private readonly opts: ReplicaRegistryOptions = {},
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 2000;
    this.staleMs = opts.staleMs ?? 5 * this.heartbeatMs;
  }

  /** Several processes may share this store. */
  get shared(): boolean {
    return isPostgres(this.db);
  }

  async start(): Promise<void> {
    if (!this.shared) {
      // One process per SQLite store: whatever earlier runs recorded is dead.
      await this.db.deleteFrom('agent_links').execute();
      await this.db.deleteFrom('hub_replicas').execute();
    }
    const now = Date.now();
    await this.db
      .insertInto('hub_replicas')
      .values({ id: this.id, peer_url: this.opts.peerUrl ?? null, started_at: now, heartbeat_at: now })
      .execute();
    await this.retirePredecessors();
    // On SQLite this one process is the only replica: no heartbeat to write (liveIds always counts itself).
    if (!this.shared) return;
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.opts.onError?.(err));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  /** This replica's address for its siblings' tunnels (null: none). */
  get peerUrl(): string | null {
    return this.opts.peerUrl ?? null;
  }

  /**
   * A replica that ran at this replica's peer URL before (the same pod IP and port: a restarted or
   * killed process) is dead, whatever its last heartbeat says: two processes cannot listen on one
   * address. Its heartbeat is zeroed, so it holds no link from now on (no sibling tunnels to it, and
   * this replica never tunnels to itself through its predecessor's row) and the leader's next sweep
   * clears its links (issue 17: a node shell after a hub restart went into such a tunnel). A live
   * replica wrongly sharing the URL only looks dead until its next heartbeat.
   */
  private async retirePredecessors(): Promise<void> {
    const peerUrl = this.opts.peerUrl;
    if (!this.shared || !peerUrl) return;
    await this.db
      .updateTable('hub_replicas')
      .set({ heartbeat_at: 0 })
      .where('peer_url', '=', peerUrl)
      .where('id', '!=', this.id)
      .execute();
  }

  /** Lets each heartbeat re-record links the store lost (see beat). */
  setLocalLinks(local: LocalLinks): void {
    this.local = local;
  }

  private async beat(): Promise<void> {
    const r = await this.db
      .updateTable('hub_replicas')
      .set({ heartbeat_at: Date.now() })
      .where('id', '=', this.id)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      // Declared dead while the store was unreachable: come back (its links were cleared; agents reconnect).
      const now = Date.now();
      await this.db
        .insertInto('hub_replicas')
        .values({ id: this.id, peer_url: this.opts.peerUrl ?? null, started_at: now, heartbeat_at: now })
        .execute();
    }
    // After a store outage every heartbeat was stale, and the leader's first sweep may have cleared links this
    // replica still holds: record them again (never over another replica's row: that agent moved on).
    for (const cluster of this.local?.clusters() ?? []) {
      const added = await this.db
        .insertInto('agent_links')
        .values({ cluster_id: cluster, replica_id: this.id, connected_at: Date.now() })
        .onConflict((oc) => oc.column('cluster_id').doNothing())
        .returning('cluster_id')
        .execute();
      if (added.length > 0) await this.local?.reclaimed(cluster);
    }
  }

  /** Leaves the store: a clean stop frees its links at once (agents reconnect elsewhere). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.db.deleteFrom('agent_links').where('replica_id', '=', this.id).execute();
    await this.db.deleteFrom('hub_replicas').where('id', '=', this.id).execute();
  }

  /** Replica ids whose heartbeat is fresh, and this one's whatever its row says. */
  private liveIds() {
    return this.liveIdsIn(this.db);
  }

  private liveIdsIn(db: HubDb) {
    const cutoff = Date.now() - this.staleMs;
    return db
      .selectFrom('hub_replicas')
      .select('id')
      .where((eb) => eb.or([eb('heartbeat_at', '>=', cutoff), eb('id', '=', this.id)]));
  }

  /** Records that this replica holds the cluster's agent link (replacing any other holder). */
  async claimLink(cluster: string): Promise<void> {
    const now = Date.now();
    await this.db
      .insertInto('agent_links')
      .values({ cluster_id: cluster, replica_id: this.id, connected_at: now })
      .onConflict((oc) => oc.column('cluster_id').doUpdateSet({ replica_id: this.id, connected_at: now }))
      .execute();
  }

  /**
   * The link closed here: frees the row if it is still this replica's. False
   * when another replica took the link meanwhile (the agent reconnected there),
   * which must then not be marked disconnected.
   */
  async releaseLink(cluster: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('agent_links')
      .where('cluster_id', '=', cluster)
      .where('replica_id', '=', this.id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** The live replica holding the cluster's agent link, if any. */
  async holderOf(cluster: string): Promise<LinkHolder | null> {
    const row = await this.db
      .selectFrom('agent_links')
      .innerJoin('hub_replicas', 'hub_replicas.id', 'agent_links.replica_id')
      .select(['hub_replicas.id', 'hub_replicas.peer_url'])
      .where('agent_links.cluster_id', '=', cluster)
      .where('hub_replicas.id', 'in', this.liveIds())
      .executeTakeFirst();
    return row ? { replicaId: row.id, peerUrl: row.peer_url } : null;
  }

  /** Replicas alive now (this one always): cleanup touches only the rows of others. */
  async liveReplicaIds(): Promise<string[]> {
    const rows = await this.liveIds().execute();
    return [...new Set([this.id, ...rows.map((r) => r.id)])];
  }

  /**
   * Agent-gone detection (run by the leader): links whose holder died are
   * removed, and clusters marked connected with no live holder are marked
   * disconnected. Dead replicas' rows go too. Returns the clusters marked.
   */
  async sweepDead(): Promise<string[]> {
    // One process on SQLite: its own link closes mark disconnected, start-up resets the rest.
    if (!this.shared) return [];
    const cutoff = Date.now() - this.staleMs;
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('agent_links').where('replica_id', 'not in', this.liveIdsIn(trx)).execute();
      const gone = await trx
        .updateTable('clusters')
        .set({ connected: 0 })
        .where('connected', '=', 1)
        .where('id', 'not in', trx.selectFrom('agent_links').select('cluster_id'))
        .returning('id')
        .execute();
      // Rows of replicas dead for long are history nobody reads.
      await trx
        .deleteFrom('hub_replicas')
        .where('heartbeat_at', '<', cutoff - 10 * this.staleMs)
        .where('id', '!=', this.id)
        .execute();
      return gone.map((g) => g.id);
    });
  }

  /** For the live-replica checks of siblings' requests. */
  async isLive(replicaId: string): Promise<boolean> {
    const r = await this.liveIds().where('id', '=', replicaId).executeTakeFirst();
    return r !== undefined;
  }
}
