// Clusters and their agent tokens. The token is returned once at creation;
// only its sha256 is kept, so a leaked database does not leak agent access.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Capabilities, DEFAULT_POD_SECURITY_LEVEL, PodSecurityLevel, type ClusterView } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';
import type { Transaction } from 'kysely';
import type { ClusterRow, Database } from '../store/schema.js';

/** More writes (an audit record) that commit with a cluster change or not at all. */
type AlsoInTransaction = (trx: Transaction<Database>) => Promise<unknown>;

export type { ClusterView } from '@wheelhouse/protocol';

const NO_CAPABILITIES: Capabilities = { basic: false, advanced: false, podExec: false };

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function newAgentToken(cluster: string): string {
  // The cluster name rides along so a token identifies its cluster without a lookup table scan.
  return `wha_${cluster}_${randomBytes(24).toString('base64url')}`;
}

export function clusterOfToken(token: string): string | null {
  const m = /^wha_([a-z0-9-]+)_[A-Za-z0-9_-]{32}$/.exec(token);
  return m?.[1] ?? null;
}

export function toView(row: ClusterRow): ClusterView {
  const caps = Capabilities.safeParse(JSON.parse(row.capabilities));
  const level = PodSecurityLevel.safeParse(row.pod_security_level);
  return {
    name: row.id,
    createdAt: row.created_at,
    createdBy: row.created_by,
    connected: row.connected === 1,
    lastSeenAt: row.last_seen_at,
    agentVersion: row.agent_version,
    kubernetesVersion: row.kubernetes_version,
    capabilities: caps.success ? caps.data : NO_CAPABILITIES,
    tokenRevoked: row.token_revoked_at !== null,
    // An unreadable value falls back to the default rather than to no policy.
    podSecurity: level.success ? level.data : DEFAULT_POD_SECURITY_LEVEL,
  };
}

export class ClusterStore {
  constructor(
    private readonly db: HubDb,
    /** The Pod Security Standards level a newly registered cluster starts with (an admin may change it per cluster). */
    private readonly defaultPodSecurity: PodSecurityLevel = DEFAULT_POD_SECURITY_LEVEL,
  ) {}

  /**
   * Registers a cluster. `alsoInTransaction` (its audit record) commits with
   * the row or not at all: a store that fails between the two must not leave
   * a cluster nobody audited.
   */
  async create(
    name: string,
    createdBy: string,
    alsoInTransaction?: AlsoInTransaction,
  ): Promise<{ cluster: ClusterView; token: string } | null> {
    const token = newAgentToken(name);
    const row: ClusterRow = {
      id: name,
      created_at: Date.now(),
      created_by: createdBy,
      token_hash: sha256(token),
      token_revoked_at: null,
      agent_version: null,
      kubernetes_version: null,
      capabilities: JSON.stringify(NO_CAPABILITIES),
      last_seen_at: null,
      connected: 0,
      pod_security_level: this.defaultPodSecurity,
    };
    const inserted = await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .insertInto('clusters')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await alsoInTransaction?.(trx);
      return true;
    });
    return inserted ? { cluster: toView(row), token } : null;
  }

  async get(name: string): Promise<ClusterView | null> {
    const row = await this.db.selectFrom('clusters').selectAll().where('id', '=', name).executeTakeFirst();
    return row ? toView(row) : null;
  }

  async list(): Promise<ClusterView[]> {
    const rows = await this.db.selectFrom('clusters').selectAll().orderBy('id').execute();
    return rows.map(toView);
  }

  /** `alsoInTransaction` (the audit record) commits with the change or not at all, as in create. */
  async delete(name: string, alsoInTransaction?: AlsoInTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom('clusters').where('id', '=', name).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await alsoInTransaction?.(trx);
      return true;
    });
  }

  /** Sets the cluster's Pod Security Standards level; the previous one, or null if there is no such cluster. */
  async setPodSecurity(
    name: string,
    level: PodSecurityLevel,
    alsoInTransaction?: (trx: Transaction<Database>, before: PodSecurityLevel) => Promise<unknown>,
  ): Promise<PodSecurityLevel | null> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('clusters')
        .select('pod_security_level')
        .where('id', '=', name)
        .executeTakeFirst();
      if (!row) return null;
      await trx.updateTable('clusters').set({ pod_security_level: level }).where('id', '=', name).execute();
      const parsed = PodSecurityLevel.safeParse(row.pod_security_level);
      const before = parsed.success ? parsed.data : DEFAULT_POD_SECURITY_LEVEL;
      await alsoInTransaction?.(trx, before);
      return before;
    });
  }

  async revokeToken(name: string, alsoInTransaction?: AlsoInTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('clusters')
        .set({ token_revoked_at: Date.now(), connected: 0 })
        .where('id', '=', name)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await alsoInTransaction?.(trx);
      return true;
    });
  }

  /** Issues a new token (the old one stops working at once) and returns it once. */
  async rotateToken(name: string, alsoInTransaction?: AlsoInTransaction): Promise<string | null> {
    const token = newAgentToken(name);
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('clusters')
        .set({ token_hash: sha256(token), token_revoked_at: null })
        .where('id', '=', name)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return null;
      await alsoInTransaction?.(trx);
      return token;
    });
  }

  /** The cluster a valid, unrevoked agent token belongs to. */
  async authenticateAgent(token: string): Promise<string | null> {
    const name = clusterOfToken(token);
    if (!name) return null;
    const row = await this.db
      .selectFrom('clusters')
      .select(['token_hash', 'token_revoked_at'])
      .where('id', '=', name)
      .executeTakeFirst();
    if (!row || row.token_revoked_at !== null) return null;
    const a = Buffer.from(row.token_hash, 'hex');
    const b = Buffer.from(sha256(token), 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? name : null;
  }

  async markConnected(
    name: string,
    hello: { agentVersion: string; kubernetesVersion: string; capabilities: Capabilities },
  ): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({
        connected: 1,
        last_seen_at: Date.now(),
        agent_version: hello.agentVersion,
        kubernetes_version: hello.kubernetesVersion,
        capabilities: JSON.stringify(hello.capabilities),
      })
      .where('id', '=', name)
      .execute();
  }

  /** The agent was heard from now; `db` a transaction to write within it (the agent links' group commit). */
  async markSeen(name: string, db: HubDb = this.db): Promise<void> {
    await db.updateTable('clusters').set({ last_seen_at: Date.now() }).where('id', '=', name).execute();
  }

  async markDisconnected(name: string): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({ connected: 0, last_seen_at: Date.now() })
      .where('id', '=', name)
      .execute();
  }

  /** At start-up nobody is connected yet, whatever the last run recorded. */
  async resetConnections(): Promise<void> {
    await this.db.updateTable('clusters').set({ connected: 0 }).execute();
  }
}
