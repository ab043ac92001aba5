// Resource usage history per cluster: one point a minute per node and per
// container (a newer sample in the same minute replaces it), kept for a day.
// Kysely's query builder only, so it moves to PostgreSQL as it is.
import type { UsageMessage } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';

export const USAGE_RETENTION_MS = 24 * 60 * 60_000;
const MINUTE = 60_000;

export interface UsagePoint {
  minute: number;
  cpu: number;
  memory: number;
}

export interface ContainerUsageView {
  name: string;
  cpu: number;
  memory: number;
  requests: { cpu: number | null; memory: number | null };
  limits: { cpu: number | null; memory: number | null };
}

export interface PodUsageView {
  namespace: string;
  name: string;
  minute: number;
  cpu: number;
  memory: number;
  containers: ContainerUsageView[];
}

export interface NodeUsageView {
  name: string;
  minute: number;
  cpu: number;
  memory: number;
  allocatable: { cpu: number | null; memory: number | null };
}

export class UsageStore {
  /** Whether each cluster's agent can read metrics.k8s.io, and why not (the latest sample says). */
  private readonly status = new Map<string, { available: boolean; reason: string | null; time: number }>();

  constructor(private readonly db: HubDb) {}

  availability(cluster: string): { available: boolean; reason: string | null; time: number | null } {
    const s = this.status.get(cluster);
    return s ?? { available: false, reason: 'no usage sample from the agent yet', time: null };
  }

  async add(cluster: string, m: UsageMessage): Promise<void> {
    this.status.set(cluster, { available: m.available, reason: m.reason ?? null, time: m.time });
    if (!m.available) return;
    const rows = [
      ...m.nodes.map((n) => ({
        cluster_id: cluster,
        kind: 'Node',
        namespace: '',
        name: n.name,
        container: '',
        minute: Math.floor(n.time / MINUTE) * MINUTE,
        cpu: n.cpu,
        memory: n.memory,
        request_cpu: n.allocatable.cpu,
        request_memory: n.allocatable.memory,
        limit_cpu: null,
        limit_memory: null,
      })),
      ...m.pods.flatMap((p) =>
        p.containers.map((c) => ({
          cluster_id: cluster,
          kind: 'Pod',
          namespace: p.namespace,
          name: p.name,
          container: c.name,
          minute: Math.floor(p.time / MINUTE) * MINUTE,
          cpu: c.cpu,
          memory: c.memory,
          request_cpu: c.requests.cpu,
          request_memory: c.requests.memory,
          limit_cpu: c.limits.cpu,
          limit_memory: c.limits.memory,
        })),
      ),
    ];
    await this.db.transaction().execute(async (trx) => {
      // 12 columns × 200 rows stays inside SQLite's bound-parameter limit.
      for (let i = 0; i < rows.length; i += 200) {
        await trx
          .insertInto('usage_samples')
          .values(rows.slice(i, i + 200))
          .onConflict((oc) =>
            oc.columns(['cluster_id', 'kind', 'namespace', 'name', 'container', 'minute']).doUpdateSet((eb) => ({
              cpu: eb.ref('excluded.cpu'),
              memory: eb.ref('excluded.memory'),
              request_cpu: eb.ref('excluded.request_cpu'),
              request_memory: eb.ref('excluded.request_memory'),
              limit_cpu: eb.ref('excluded.limit_cpu'),
              limit_memory: eb.ref('excluded.limit_memory'),
            })),
          )
          .execute();
      }
      await trx
        .deleteFrom('usage_samples')
        .where('cluster_id', '=', cluster)
        .where('minute', '<', m.time - USAGE_RETENTION_MS)
        .execute();
    });
  }

  private async latestMinute(cluster: string, kind: string): Promise<number | null> {
    const r = await this.db
      .selectFrom('usage_samples')
      .select((eb) => eb.fn.max('minute').as('m'))
      .where('cluster_id', '=', cluster)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return r?.m ?? null;
  }

  /** Every pod's usage at the latest minute (containers summed), in namespaces the caller may see. */
  async topPods(
    cluster: string,
    namespace: string | undefined,
    allowed: (ns: string) => boolean,
  ): Promise<PodUsageView[]> {
    const minute = await this.latestMinute(cluster, 'Pod');
    if (minute === null) return [];
    let q = this.db
      .selectFrom('usage_samples')
      .selectAll()
      .where('cluster_id', '=', cluster)
      .where('kind', '=', 'Pod')
      .where('minute', '=', minute);
    if (namespace !== undefined) q = q.where('namespace', '=', namespace);
    const pods = new Map<string, PodUsageView>();
    for (const r of await q.execute()) {
      if (!allowed(r.namespace)) continue;
      const key = `${r.namespace}/${r.name}`;
      const p = pods.get(key) ?? { namespace: r.namespace, name: r.name, minute, cpu: 0, memory: 0, containers: [] };
      p.cpu += r.cpu;
      p.memory += r.memory;
      p.containers.push({
        name: r.container,
        cpu: r.cpu,
        memory: r.memory,
        requests: { cpu: r.request_cpu, memory: r.request_memory },
        limits: { cpu: r.limit_cpu, memory: r.limit_memory },
      });
      pods.set(key, p);
    }
    return [...pods.values()];
  }

  async topNodes(cluster: string): Promise<NodeUsageView[]> {
    const minute = await this.latestMinute(cluster, 'Node');
    if (minute === null) return [];
    const rows = await this.db
      .selectFrom('usage_samples')
      .selectAll()
      .where('cluster_id', '=', cluster)
      .where('kind', '=', 'Node')
      .where('minute', '=', minute)
      .execute();
    return rows.map((r) => ({
      name: r.name,
      minute,
      cpu: r.cpu,
      memory: r.memory,
      allocatable: { cpu: r.request_cpu, memory: r.request_memory },
    }));
  }

  /** One pod's (containers summed) or node's history, oldest first. */
  async history(cluster: string, kind: 'Pod' | 'Node', namespace: string, name: string): Promise<UsagePoint[]> {
    const rows = await this.db
      .selectFrom('usage_samples')
      .select(['minute', 'cpu', 'memory'])
      .where('cluster_id', '=', cluster)
      .where('kind', '=', kind)
      .where('namespace', '=', namespace)
      .where('name', '=', name)
      .orderBy('minute')
      .execute();
    const out = new Map<number, UsagePoint>();
    for (const r of rows) {
      const minute = r.minute;
      const p = out.get(minute) ?? { minute, cpu: 0, memory: 0 };
      p.cpu += r.cpu;
      p.memory += r.memory;
      out.set(minute, p);
    }
    return [...out.values()];
  }
}
