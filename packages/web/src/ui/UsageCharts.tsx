// Usage over time against requests and limits (a node: against allocatable):
// one small hand-written SVG chart per resource, like the timeline chart (no
// chart library for two lines and two rules), from the hub's day of history
// (a point a minute). The figures next to each chart are the latest minute's.
import { useEffect } from 'react';
import { parseCpu, parseMemory } from '@wheelhouse/protocol/core';
import { api } from '../api/client.js';
import type { ContainerSummary } from '../api/types.js';
import { useAsync } from '../data/hooks.js';

export interface UsagePoint {
  minute: number;
  cpu: number;
  memory: number;
}

interface History {
  available: boolean;
  reason: string | null;
  history: UsagePoint[];
}

/** A reference line: a request, limit or allocatable (millicores / bytes); null when not set. */
export interface UsageReference {
  label: string;
  value: number | null;
}

export type UsageSource =
  { kind: 'pods'; namespace: string; names: readonly string[] } | { kind: 'nodes'; name: string };

/** Pods' histories are summed per minute (a workload's pods); at most this many pods are fetched. */
export const MAX_CHART_PODS = 20;

export const cpuText = (m: number) => `${Math.round(m)}m`;
export const memText = (b: number) => `${Math.round(b / 1024 ** 2)}Mi`;

/**
 * The pods' summed requests and limits per resource, from their containers'
 * specs; null when a container sets none (the sum would claim a bound that is not there).
 */
export function podReferences(pods: readonly { summary: { containers: readonly ContainerSummary[] } }[]): {
  cpu: UsageReference[];
  memory: UsageReference[];
} {
  const sum = (which: 'requests' | 'limits', resource: 'cpu' | 'memory'): number | null => {
    let total = 0;
    const containers = pods.flatMap((p) => p.summary.containers);
    if (!containers.length) return null;
    for (const c of containers) {
      const q = c.resources?.[which]?.[resource];
      const v = q === undefined ? null : resource === 'cpu' ? parseCpu(q) : parseMemory(q);
      if (v === null) return null;
      total += v;
    }
    return total;
  };
  return {
    cpu: [
      { label: 'request', value: sum('requests', 'cpu') },
      { label: 'limit', value: sum('limits', 'cpu') },
    ],
    memory: [
      { label: 'request', value: sum('requests', 'memory') },
      { label: 'limit', value: sum('limits', 'memory') },
    ],
  };
}

function sumByMinute(histories: readonly UsagePoint[][]): UsagePoint[] {
  const out = new Map<number, UsagePoint>();
  for (const h of histories)
    for (const p of h) {
      const q = out.get(p.minute) ?? { minute: p.minute, cpu: 0, memory: 0 };
      q.cpu += p.cpu;
      q.memory += p.memory;
      out.set(p.minute, q);
    }
  return [...out.values()].sort((a, b) => a.minute - b.minute);
}

function useUsageHistory(cluster: string, source: UsageSource) {
  const key = source.kind === 'pods' ? `${source.namespace}/${source.names.join(',')}` : source.name;
  return useAsync(
    async (signal) => {
      const base = `/api/v1/clusters/${encodeURIComponent(cluster)}/usage/${source.kind}`;
      if (source.kind === 'nodes') return api<History>(base, { query: { name: source.name }, signal });
      const all = await Promise.all(
        source.names
          .slice(0, MAX_CHART_PODS)
          .map((name) => api<History>(base, { query: { namespace: source.namespace, name }, signal })),
      );
      return {
        available: all.every((h) => h.available),
        reason: all.find((h) => !h.available)?.reason ?? null,
        history: sumByMinute(all.map((h) => h.history)),
      };
    },
    [cluster, source.kind, key],
  );
}

const RELOAD_MS = 20_000;
const W = 420;
const H = 110;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

function Chart({
  title,
  points,
  value,
  refs,
  format,
}: {
  title: string;
  points: readonly UsagePoint[];
  value: (p: UsagePoint) => number;
  refs: readonly UsageReference[];
  format: (v: number) => string;
}) {
  const x0 = points[0]?.minute ?? 0;
  const x1 = Math.max(points.at(-1)?.minute ?? 0, x0 + 60_000);
  const top = Math.max(1, ...points.map(value), ...refs.map((r) => r.value ?? 0)) * 1.1;
  const x = (t: number) => PAD.left + ((t - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const line = points.map((p) => `${x(p.minute).toFixed(1)},${y(value(p)).toFixed(1)}`).join(' ');
  const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <svg
      className="usage-chart"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`${title} over time`}
      preserveAspectRatio="none"
    >
      <line className="usage-axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
      <text className="usage-tick" x={PAD.left - 4} y={y(0)} textAnchor="end" dominantBaseline="middle">
        0
      </text>
      <text className="usage-tick" x={PAD.left - 4} y={y(top / 1.1)} textAnchor="end" dominantBaseline="middle">
        {format(top / 1.1)}
      </text>
      <text className="usage-tick" x={PAD.left} y={H - 4}>
        {time(x0)}
      </text>
      <text className="usage-tick" x={W - PAD.right} y={H - 4} textAnchor="end">
        {time(x1)}
      </text>
      {refs.map((r) =>
        r.value === null ? null : (
          <g key={r.label} className={`usage-ref usage-ref-${r.label}`} data-ref={r.label}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(r.value)} y2={y(r.value)} />
            <text x={W - PAD.right - 2} y={y(r.value) - 3} textAnchor="end">
              {r.label} {format(r.value)}
            </text>
          </g>
        ),
      )}
      {points.length === 1 ? (
        <circle className="usage-dot" cx={x(x0)} cy={y(value(points[0] as UsagePoint))} r={3} />
      ) : (
        <polyline className="usage-line" points={line} />
      )}
    </svg>
  );
}

function Figures({
  label,
  latest,
  peak,
  refs,
  format,
}: {
  label: string;
  latest: number;
  peak: number;
  refs: readonly UsageReference[];
  format: (v: number) => string;
}) {
  return (
    <dl className="kv usage-figures" aria-label={`${label} figures`}>
      <dt>Now</dt>
      <dd data-figure="now">{format(latest)}</dd>
      <dt>Peak</dt>
      <dd data-figure="peak">{format(peak)}</dd>
      {refs.map((r) => (
        <div key={r.label} style={{ display: 'contents' }}>
          <dt>{`${r.label.charAt(0).toUpperCase()}${r.label.slice(1)}`}</dt>
          <dd data-figure={r.label}>
            {r.value === null
              ? 'not set'
              : `${format(r.value)} (${Math.round((latest * 100) / Math.max(r.value, 1e-9))} % used)`}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * CPU and memory over the last day against the references, with the latest
 * figures; says why when the cluster has no metrics or no sample yet.
 */
export function UsageCharts({
  cluster,
  source,
  cpuRefs,
  memoryRefs,
}: {
  cluster: string;
  source: UsageSource;
  cpuRefs: readonly UsageReference[];
  memoryRefs: readonly UsageReference[];
}) {
  const h = useUsageHistory(cluster, source);
  // The hub adds a point a minute: read again now and then.
  const { reload } = h;
  useEffect(() => {
    const t = setInterval(reload, RELOAD_MS);
    return () => clearInterval(t);
  }, [reload]);
  let body;
  if (h.error) body = <p className="hint">Usage could not be read: {h.error}</p>;
  else if (!h.data) body = <p className="hint">Loading…</p>;
  else if (!h.data.available)
    body = <p className="hint">No usage: {h.data.reason ?? 'metrics.k8s.io not available'}</p>;
  else if (!h.data.history.length)
    body = <p className="hint">No usage measured yet (metrics-server needs a minute or two for a new pod).</p>;
  else {
    const points = h.data.history;
    const last = points.at(-1) as UsagePoint;
    body = (
      <div className="usage-grid">
        {(
          [
            ['CPU', (p: UsagePoint) => p.cpu, cpuRefs, cpuText],
            ['Memory', (p: UsagePoint) => p.memory, memoryRefs, memText],
          ] as const
        ).map(([label, value, refs, format]) => (
          <figure key={label} className="usage-cell" aria-label={`${label} usage`}>
            <figcaption>{label}</figcaption>
            <Chart title={`${label} usage`} points={points} value={value} refs={refs} format={format} />
            <Figures
              label={`${label} usage`}
              latest={value(last)}
              peak={Math.max(...points.map(value))}
              refs={refs}
              format={format}
            />
          </figure>
        ))}
      </div>
    );
  }
  return (
    <section className="panel" aria-label="Resource usage">
      <h3 style={{ marginTop: 0 }}>Resource usage</h3>
      {body}
    </section>
  );
}
