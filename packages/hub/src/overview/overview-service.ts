// "What is broken now" across every cluster a person can see: unhealthy
// workloads (with the reason their own conditions give), open insights and
// recent failed actions — the console's landing page and `GET /api/v1/overview`.
import { WORKLOAD_KINDS, workloadHealth, type Health, type Insight, type InventoryItem } from '@wheelhouse/protocol';
import type { CommandView } from '@wheelhouse/protocol';
import { matchesPattern } from '../auth/rbac.js';
import type { ClusterView } from '../clusters/cluster-store.js';
import type { CommandService } from '../commands/command-service.js';
import type { InsightStore } from '../insights/insight-store.js';
import type { InventoryStore } from '../inventory/inventory-store.js';

export interface UnhealthyWorkload {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  health: Health;
  /** The workload's own failing condition ("ProgressDeadlineExceeded: …"), when it has one. */
  reason: string | null;
  createdAt: number;
}

export interface Overview {
  clusters: { name: string; connected: boolean }[];
  unhealthy: UnhealthyWorkload[];
  /** Open insights of every cluster, errors before warnings before info, newest first within a severity. */
  openInsights: Insight[];
  /** True when more open insights exist than OVERVIEW_INSIGHTS_LIMIT (the page links to each cluster's list). */
  insightsTruncated: boolean;
  failedActions: CommandView[];
  /** True when the scan stopped at its bound: more workloads exist than were read. */
  truncated: boolean;
}

/** Open insights returned across clusters: the landing page shows what to look at first, not everything. */
export const OVERVIEW_INSIGHTS_LIMIT = 200;
const SEVERITY_RANK: Record<Insight['severity'], number> = { error: 0, warning: 1, info: 2 };

/**
 * Whether a namespace is among those visible ('all', or patterns). A cluster-scoped
 * object (namespace '') needs 'all', as `can(view, {cluster})` does for the insights route.
 */
function namespaceVisible(visible: 'all' | readonly string[], namespace: string): boolean {
  if (visible === 'all') return true;
  return namespace !== '' && visible.some((p) => matchesPattern(p, namespace));
}

/** Workloads read per request, across clusters: the page stays quick on huge clusters. */
export const OVERVIEW_SCAN_LIMIT = 20_000;
const PAGE = 500;
const FAILED_STATES = new Set(['failed', 'rejected', 'expired']);
const FAILED_WINDOW_MS = 24 * 3600_000;

function reasonOf(it: InventoryItem): string | null {
  const details = 'conditionDetails' in it.summary ? (it.summary.conditionDetails ?? []) : [];
  const bad = details.find((c) =>
    ['Failed', 'ReplicaFailure'].includes(c.type) ? c.status === 'True' : c.status === 'False',
  );
  if (!bad) return null;
  return `${bad.reason ?? bad.type}${bad.message ? `: ${bad.message}` : ''}`;
}

export class OverviewService {
  constructor(
    private readonly deps: {
      inventory: InventoryStore;
      commands: CommandService;
      insights: InsightStore;
      /** Workloads read per request (default OVERVIEW_SCAN_LIMIT). */
      scanLimit?: number;
    },
  ) {}

  /**
   * @param clusters the clusters the caller may see at all
   * @param visible per cluster: 'all', or the namespace patterns the caller may view
   */
  async get(
    clusters: readonly ClusterView[],
    visible: (cluster: string) => 'all' | readonly string[],
    now = Date.now(),
  ): Promise<Overview> {
    const unhealthy: UnhealthyWorkload[] = [];
    let budget = this.deps.scanLimit ?? OVERVIEW_SCAN_LIMIT;
    let truncated = false;
    for (const c of clusters) {
      for (const kind of WORKLOAD_KINDS) {
        if (kind === 'ReplicaSet') continue;
        let cursor: string | undefined;
        do {
          if (budget <= 0) {
            truncated = true;
            break;
          }
          const page = await this.deps.inventory.query(
            c.name,
            { kind, limit: Math.min(PAGE, budget), ...(cursor ? { cursor } : {}) },
            visible(c.name),
          );
          budget -= page.items.length;
          for (const it of page.items) {
            // A Job a CronJob made shows through its CronJob's history, not as a workload of its own.
            if (
              it.kind === 'Job' &&
              it.ownerRefs.some((o) => o.kind === 'CronJob') &&
              it.summary.conditions.Failed !== 'True'
            )
              continue;
            const health = workloadHealth(it);
            if (health.level !== 'err' && health.level !== 'warn') continue;
            unhealthy.push({
              cluster: c.name,
              kind: it.kind,
              namespace: it.namespace,
              name: it.name,
              health,
              reason: reasonOf(it),
              createdAt: it.createdAt,
            });
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
    }
    // Down before degraded; within a level, by cluster and name.
    unhealthy.sort(
      (a, b) =>
        (a.health.level === 'err' ? 0 : 1) - (b.health.level === 'err' ? 0 : 1) ||
        a.cluster.localeCompare(b.cluster) ||
        a.namespace.localeCompare(b.namespace) ||
        a.name.localeCompare(b.name),
    );
    const openInsights: Insight[] = [];
    let insightsTruncated = false;
    for (const c of clusters) {
      const v = visible(c.name);
      // One more than the bound per cluster tells whether anything was left out.
      const items = await this.deps.insights.query(
        c.name,
        { state: 'open', limit: OVERVIEW_INSIGHTS_LIMIT + 1 },
        (ns) => namespaceVisible(v, ns),
      );
      if (items.length > OVERVIEW_INSIGHTS_LIMIT) insightsTruncated = true;
      openInsights.push(...items.slice(0, OVERVIEW_INSIGHTS_LIMIT));
    }
    openInsights.sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        b.since - a.since ||
        a.cluster.localeCompare(b.cluster) ||
        a.id.localeCompare(b.id),
    );
    if (openInsights.length > OVERVIEW_INSIGHTS_LIMIT) insightsTruncated = true;
    const failedActions: CommandView[] = [];
    for (const c of clusters) {
      const { items } = await this.deps.commands.list({ cluster: c.name, limit: 50 }, visible);
      failedActions.push(...items.filter((a) => FAILED_STATES.has(a.state) && now - a.updatedAt < FAILED_WINDOW_MS));
    }
    failedActions.sort((a, b) => b.updatedAt - a.updatedAt);
    return {
      clusters: clusters.map((c) => ({ name: c.name, connected: c.connected })),
      unhealthy,
      openInsights: openInsights.slice(0, OVERVIEW_INSIGHTS_LIMIT),
      insightsTruncated,
      failedActions: failedActions.slice(0, 20),
      truncated,
    };
  }
}
