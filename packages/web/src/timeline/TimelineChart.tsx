// The timeline chart: hand-written SVG. Static content (axis, bands, markers)
// is memoized; hover, tooltip and the drag selection are drawn on top of it.
import {
  memo,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type MouseEvent as ReactMouseEvent,
  type ReactNode,
} from 'react';
import type { TimelineBuckets, TimelineEvent } from '../api/types.js';
import { aggregate, breakdown, type Mark } from './aggregate.js';
import { BAND_LABELS, type PodLane } from './bands.js';
import { MARKER_LANES, markerLane, markerStyle, type MarkerLane, type MarkerShape } from './markers.js';
import { timeScale, timeTicks } from './scale.js';

const LABEL_W = 150;
const RIGHT_PAD = 16;
const AXIS_H = 24;
const LANE_H = 26;
const POD_GAP = 8;
const POD_H = 18;
const BAND_H = 12;
const PODS_COLLAPSED = 12;
/** More markers than THRESHOLD within RADIUS pixels become one cluster marker. */
const RADIUS = 8;
const THRESHOLD = 3;
/** Cluster markers (radius 9) stay this far apart. */
const MIN_GAP = 20;
const MIN_ZOOM_MS = 5000;
const MAX_HIGHLIGHT = 200;

export interface ChartProps {
  events: readonly TimelineEvent[];
  lanes: readonly PodLane[];
  from: number;
  to: number;
  /** seqs to highlight (hovered row or marker). */
  highlight: readonly number[];
  /**
   * The range's events not loaded (a range holding more than the console
   * loads), counted per time bucket by the hub: drawn as density bars in
   * their lanes, a click zooms to the bucket (where the events load).
   */
  buckets?: TimelineBuckets | undefined;
  showNamespace: boolean;
  onHover: (seqs: number[] | null) => void;
  onSelect: (seq: number) => void;
  onZoom: (from: number, to: number) => void;
  timeLabel: (t: number) => string;
}

type Target =
  | { kind: 'single'; x: number; y: number; event: TimelineEvent }
  | { kind: 'cluster'; x: number; y: number; x0: number; x1: number; events: TimelineEvent[] }
  | { kind: 'band'; x: number; y: number; lane: PodLane; index: number }
  | { kind: 'bucket'; x: number; y: number; start: number; end: number; byType: [string, number][] };

function shape(
  s: MarkerShape,
  x: number,
  y: number,
): { el: 'circle' | 'path' | 'rect'; attrs: Record<string, number | string> } {
  switch (s) {
    case 'diamond':
      return { el: 'path', attrs: { d: `M${x},${y - 7}L${x + 7},${y}L${x},${y + 7}L${x - 7},${y}Z` } };
    case 'square':
      return { el: 'rect', attrs: { x: x - 5, y: y - 5, width: 10, height: 10, rx: 2 } };
    case 'triangle':
      return { el: 'path', attrs: { d: `M${x},${y - 7}L${x + 7},${y + 5}L${x - 7},${y + 5}Z` } };
    default:
      return { el: 'circle', attrs: { cx: x, cy: y, r: 5 } };
  }
}

function trunc(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export const TimelineChart = memo(function TimelineChart(props: ChartProps) {
  const { events, lanes, from, to, highlight, buckets, showNamespace, onHover, onSelect, onZoom, timeLabel } = props;
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1000);
  const [podsExpanded, setPodsExpanded] = useState(false);
  const [tip, setTip] = useState<{ key: string; x: number; y: number } | null>(null);
  const [brush, setBrush] = useState<{ x0: number; x1: number } | null>(null);
  const suppressClick = useRef(false);

  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(480, Math.floor(el.clientWidth)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const shownLanes = podsExpanded ? lanes : lanes.slice(0, PODS_COLLAPSED);
  const podTop = AXIS_H + MARKER_LANES.length * LANE_H + POD_GAP;
  const height = podTop + shownLanes.length * POD_H + 6;
  const scale = useMemo(() => timeScale(from, to, LABEL_W, width - RIGHT_PAD), [from, to, width]);

  // Everything that does not change on hover.
  const layer = useMemo(() => {
    const targets = new Map<string, Target>();
    const seqPos = new Map<number, { key: string; x: number; y: number; line?: boolean }>();
    const clampX = (x: number) => Math.min(scale.x1, Math.max(scale.x0, x));
    const nodes: ReactNode[] = [];

    const ticks = timeTicks(from, to, Math.max(2, Math.floor((scale.x1 - scale.x0) / 95)));
    for (const t of ticks) {
      const x = scale.x(t.t);
      const anchor = x < scale.x0 + 24 ? 'start' : x > scale.x1 - 24 ? 'end' : 'middle';
      nodes.push(
        <g key={`t${t.t}`} className={t.major ? 'tl-tick major' : 'tl-tick'}>
          <line x1={x} x2={x} y1={AXIS_H - 6} y2={height} />
          <text x={x} y={14} textAnchor={anchor}>
            {t.label}
          </text>
        </g>,
      );
    }
    nodes.push(<line key="axis" className="tl-axis" x1={scale.x0} x2={scale.x1} y1={AXIS_H - 0.5} y2={AXIS_H - 0.5} />);

    // Marker lanes.
    const byLane = new Map<MarkerLane, { x: number; item: TimelineEvent }[]>();
    for (const e of events) {
      const lane = markerLane(e);
      if (!lane) continue;
      let pts = byLane.get(lane);
      if (!pts) byLane.set(lane, (pts = []));
      pts.push({ x: clampX(scale.x(e.time)), item: e });
    }
    // The events not loaded, per bucket and lane: bars as tall as the bucket is busy (square root, so one event shows).
    const density = new Map<MarkerLane, { start: number; end: number; n: number; byType: [string, number][] }[]>();
    let busiest = 0;
    for (const b of buckets?.buckets ?? []) {
      const perLane = new Map<MarkerLane, [string, number][]>();
      for (const [type, n] of Object.entries(b.byType)) {
        const lane = markerLane({ type } as Pick<TimelineEvent, 'type'>);
        if (!lane || !n) continue;
        let l = perLane.get(lane);
        if (!l) perLane.set(lane, (l = []));
        l.push([type, n]);
      }
      for (const [lane, byType] of perLane) {
        const n = byType.reduce((sum, [, k]) => sum + k, 0);
        busiest = Math.max(busiest, n);
        let l = density.get(lane);
        if (!l) density.set(lane, (l = []));
        l.push({ start: b.start, end: b.start + (buckets?.width ?? 0), n, byType });
      }
    }
    MARKER_LANES.forEach((lane, li) => {
      const y = AXIS_H + li * LANE_H + LANE_H / 2;
      nodes.push(
        <g key={`lane-${lane.id}`} className="tl-lane">
          <line className="tl-lane-line" x1={scale.x0} x2={scale.x1} y1={y} y2={y} />
          <text className="tl-label" x={8} y={y + 4}>
            {lane.label}
          </text>
        </g>,
      );
      (density.get(lane.id) ?? []).forEach((d, di) => {
        const x0 = clampX(scale.x(d.start));
        const x1 = clampX(scale.x(d.end));
        const h = 3 + (LANE_H - 9) * Math.sqrt(d.n / Math.max(1, busiest));
        const key = `d${li}-${di}`;
        nodes.push(
          <rect
            key={key}
            data-k={key}
            className="tl-density"
            data-n={d.n}
            x={x0}
            y={y - h / 2}
            width={Math.max(1.5, x1 - x0 - 0.5)}
            height={h}
          />,
        );
        targets.set(key, { kind: 'bucket', x: (x0 + x1) / 2, y, start: d.start, end: d.end, byType: d.byType });
      });
      const marks: Mark<TimelineEvent>[] = aggregate(byLane.get(lane.id) ?? [], {
        radius: RADIUS,
        threshold: THRESHOLD,
        minGap: MIN_GAP,
      });
      marks.forEach((m, mi) => {
        if (m.kind === 'single') {
          const key = `e${m.item.seq}`;
          const st = markerStyle(m.item);
          const sh = shape(st.shape, m.x, y);
          const El = sh.el;
          nodes.push(<El key={key} data-k={key} className={`tl-mk ${st.cls}`} {...sh.attrs} />);
          targets.set(key, { kind: 'single', x: m.x, y, event: m.item });
          seqPos.set(m.item.seq, { key, x: m.x, y });
        } else {
          const key = `c${li}-${mi}`;
          const worst = m.items.some((e) => e.severity === 'error')
            ? 'sev-error'
            : m.items.some((e) => e.severity === 'warning')
              ? 'sev-warning'
              : 'sev-info';
          const r = m.items.length > 99 ? 10 : 9;
          nodes.push(
            <g key={key} data-k={key} className={`tl-cluster ${worst}`}>
              <circle cx={m.x} cy={y} r={r} />
              <text x={m.x} y={y + 3.5} textAnchor="middle">
                {m.items.length > 999 ? '999+' : m.items.length}
              </text>
            </g>,
          );
          targets.set(key, { kind: 'cluster', x: m.x, y, x0: m.x0, x1: m.x1, events: m.items });
          for (const e of m.items) seqPos.set(e.seq, { key, x: m.x, y });
        }
      });
    });

    // Pod lanes.
    if (shownLanes.length > 0) {
      nodes.push(
        <line
          key="pods-sep"
          className="tl-sep"
          x1={0}
          x2={width}
          y1={podTop - POD_GAP / 2}
          y2={podTop - POD_GAP / 2}
        />,
      );
    }
    shownLanes.forEach((lane, li) => {
      const y = podTop + li * POD_H;
      const label = showNamespace ? `${lane.namespace}/${lane.name}` : lane.name;
      nodes.push(
        <text key={`pl${lane.key}`} className="tl-label pod" x={8} y={y + POD_H / 2 + 4}>
          <title>{`Pod ${lane.namespace}/${lane.name}`}</title>
          {trunc(label, 22)}
        </text>,
      );
      lane.bands.forEach((b, bi) => {
        const x0 = clampX(scale.x(b.start));
        const x1 = clampX(scale.x(b.end));
        const key = `b${li}-${bi}`;
        nodes.push(
          <rect
            key={key}
            data-k={key}
            className={`tl-band ${b.state}`}
            x={x0}
            y={y + (POD_H - BAND_H) / 2}
            width={Math.max(1, x1 - x0)}
            height={BAND_H}
          />,
        );
        targets.set(key, { kind: 'band', x: x0, y: y + POD_H / 2, lane, index: bi });
        if (b.seq !== undefined) seqPos.set(b.seq, { key, x: x0, y: y + POD_H / 2, line: true });
      });
    });
    return { nodes, targets, seqPos };
  }, [events, buckets, shownLanes, scale, from, to, height, width, podTop, showNamespace]);

  const pointX = (ev: { clientX: number }, svg: SVGSVGElement) => ev.clientX - svg.getBoundingClientRect().left;

  const onMouseDown = (ev: ReactMouseEvent<SVGSVGElement>) => {
    if (ev.button !== 0) return;
    const svg = ev.currentTarget;
    const x0 = pointX(ev, svg);
    if (x0 < scale.x0 || x0 > scale.x1) return;
    ev.preventDefault();
    const s = scale;
    let x1 = x0;
    setBrush({ x0, x1 });
    const move = (e: MouseEvent) => {
      x1 = Math.min(s.x1, Math.max(s.x0, pointX(e, svg)));
      setBrush({ x0, x1 });
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      setBrush(null);
      if (Math.abs(x1 - x0) < 5) return;
      suppressClick.current = true;
      let a = s.t(Math.min(x0, x1));
      let b = s.t(Math.max(x0, x1));
      if (b - a < MIN_ZOOM_MS) {
        const mid = (a + b) / 2;
        a = mid - MIN_ZOOM_MS / 2;
        b = mid + MIN_ZOOM_MS / 2;
      }
      onZoom(Math.round(a), Math.round(b));
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  const targetKey = (el: EventTarget | null): string | undefined => {
    const k = el instanceof Element ? el.closest('[data-k]')?.getAttribute('data-k') : null;
    return k ?? undefined;
  };

  const seqsOf = (t: Target): number[] => {
    if (t.kind === 'single') return [t.event.seq];
    if (t.kind === 'cluster') return t.events.map((e) => e.seq);
    if (t.kind === 'bucket') return [];
    const seq = t.lane.bands[t.index]?.seq;
    return seq === undefined ? [] : [seq];
  };

  const onMouseOver = (ev: ReactMouseEvent<SVGSVGElement>) => {
    if (brush) return;
    const key = targetKey(ev.target);
    const t = key ? layer.targets.get(key) : undefined;
    if (!key || !t) {
      if (tip) {
        setTip(null);
        onHover(null);
      }
      return;
    }
    if (tip?.key === key) return;
    const x = t.kind === 'band' ? pointX(ev, ev.currentTarget) : t.x;
    setTip({ key, x, y: t.y });
    onHover(seqsOf(t));
  };

  const onMouseLeave = () => {
    setTip(null);
    onHover(null);
  };

  const onClick = (ev: ReactMouseEvent<SVGSVGElement>) => {
    if (suppressClick.current) {
      suppressClick.current = false;
      return;
    }
    const key = targetKey(ev.target);
    const t = key ? layer.targets.get(key) : undefined;
    if (!t) return;
    if (t.kind === 'single') onSelect(t.event.seq);
    else if (t.kind === 'bucket') onZoom(t.start, Math.max(t.end, t.start + MIN_ZOOM_MS));
    else if (t.kind === 'band') {
      const seq = t.lane.bands[t.index]?.seq;
      if (seq !== undefined) onSelect(seq);
    } else {
      const times = t.events.map((e) => e.time);
      const a = Math.min(...times);
      const b = Math.max(...times);
      const pad = Math.max((b - a) * 0.25, MIN_ZOOM_MS);
      onZoom(Math.round(a - pad), Math.round(b + pad));
    }
  };

  // Highlight rings for hovered rows / markers.
  const rings: ReactNode[] = [];
  const seen = new Set<string>();
  for (const seq of highlight.slice(0, MAX_HIGHLIGHT)) {
    const p = layer.seqPos.get(seq);
    if (!p || seen.has(p.key)) continue;
    seen.add(p.key);
    rings.push(
      p.line ? (
        <line key={`h${p.key}`} className="tl-hl-line" x1={p.x} x2={p.x} y1={p.y - POD_H / 2} y2={p.y + POD_H / 2} />
      ) : (
        <circle key={`h${p.key}`} className="tl-hl" cx={p.x} cy={p.y} r={p.key.startsWith('c') ? 13 : 10} />
      ),
    );
  }

  const tipTarget = tip ? layer.targets.get(tip.key) : undefined;

  return (
    <div className="tl-chart" ref={wrap}>
      <svg
        width={width}
        height={height}
        role="img"
        aria-label={`Timeline chart from ${timeLabel(from)} to ${timeLabel(to)}: ${events.length} events, ${lanes.length} pods. Drag across the chart to zoom.`}
        onMouseDown={onMouseDown}
        onMouseOver={onMouseOver}
        onMouseLeave={onMouseLeave}
        onClick={onClick}
      >
        <rect className="tl-plot" x={scale.x0} y={0} width={Math.max(0, scale.x1 - scale.x0)} height={height} />
        {layer.nodes}
        <g className="tl-overlay">{rings}</g>
        {brush && (
          <rect
            className="tl-brush"
            x={Math.min(brush.x0, brush.x1)}
            y={0}
            width={Math.abs(brush.x1 - brush.x0)}
            height={height}
          />
        )}
      </svg>
      {tip && tipTarget && !brush && (
        <div className="tl-tip" style={{ left: Math.min(Math.max(0, tip.x + 14), width - 320), top: tip.y + 14 }}>
          <TipContent target={tipTarget} timeLabel={timeLabel} />
        </div>
      )}
      {lanes.length > PODS_COLLAPSED && (
        <button
          type="button"
          className="link tl-more-pods"
          aria-expanded={podsExpanded}
          onClick={() => setPodsExpanded((v) => !v)}
        >
          {podsExpanded ? 'Show fewer pods' : `Show all ${lanes.length} pods`}
        </button>
      )}
    </div>
  );
});

function TipContent({ target, timeLabel }: { target: Target; timeLabel: (t: number) => string }) {
  if (target.kind === 'single') {
    const e = target.event;
    return (
      <>
        <div className="tl-tip-head">
          {e.type} · {timeLabel(e.time)}
        </div>
        <div>{trunc(e.summary, 240)}</div>
      </>
    );
  }
  if (target.kind === 'band') {
    const b = target.lane.bands[target.index];
    if (!b) return null;
    return (
      <>
        <div className="tl-tip-head">Pod {target.lane.name}</div>
        <div>
          {BAND_LABELS[b.state]}: {timeLabel(b.start)} – {timeLabel(b.end)}
        </div>
      </>
    );
  }
  if (target.kind === 'bucket') {
    const total = target.byType.reduce((sum, [, n]) => sum + n, 0);
    return (
      <>
        <div className="tl-tip-head">
          {total.toLocaleString()} events not loaded · {timeLabel(target.start)} – {timeLabel(target.end)}
        </div>
        <ul className="tl-breakdown">
          {target.byType.map(([type, n]) => (
            <li key={type}>
              <span>{type}</span> <strong>{n}</strong>
            </li>
          ))}
        </ul>
        <div className="hint">Click to zoom in</div>
      </>
    );
  }
  const times = target.events.map((e) => e.time);
  return (
    <>
      <div className="tl-tip-head">
        {target.events.length} events · {timeLabel(Math.min(...times))} – {timeLabel(Math.max(...times))}
      </div>
      <ul className="tl-breakdown">
        {breakdown(target.events, (e) => e.type).map((b) => (
          <li key={b.key}>
            <span>{b.key}</span> <strong>{b.count}</strong>
          </li>
        ))}
      </ul>
      <div className="hint">Click to zoom in</div>
    </>
  );
}
