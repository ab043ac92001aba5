// The timeline of a cluster, a namespace or one workload (with its pods): a
// hand-written SVG chart (pod phase bands, event markers, drag to zoom) over
// a table of the events, both kept current by the live feed.
import {
  memo,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type FocusEvent,
  type MouseEvent as ReactMouseEvent,
} from 'react';
import { TIMELINE_EVENT_TYPES } from '@wheelhouse/protocol/core';
import type { TimelineEvent } from '../api/types.js';
import { useNow } from '../data/hooks.js';
import { BAND_LABELS, podKey, podLanes, withLivePods } from './bands.js';
import { objectLabel, SEVERITY_CLASS } from './details.js';
import { EventDrawer } from './EventDrawer.js';
import { latestPerCommand, mergeEvents, type TimelineScope } from './filter.js';
import { DAY, HOUR, MINUTE } from './scale.js';
import { TimelineChart } from './TimelineChart.js';
import { MAX_EVENTS, useTimelineEvents } from './useTimelineEvents.js';
import { burstSummary, tableRows } from './bursts.js';
import { useQueryState } from '../ui/query-state.js';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useScopePods } from './useScopePods.js';
import './timeline.css';

export const RANGES = [
  { key: '15m', label: 'Last 15 minutes', ms: 15 * MINUTE },
  { key: '1h', label: 'Last hour', ms: HOUR },
  { key: '6h', label: 'Last 6 hours', ms: 6 * HOUR },
  { key: '24h', label: 'Last 24 hours', ms: DAY },
  { key: '7d', label: 'Last 7 days', ms: 7 * DAY },
] as const;
type RangeKey = (typeof RANGES)[number]['key'];

/** A table row's height before it is measured (a burst's row holds two lines). */
const ROW_ESTIMATE = 37;
const ALL_TYPES: ReadonlySet<string> = new Set(TIMELINE_EVENT_TYPES);

const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: '2-digit' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const timeLabel = (t: number): string => `${dayFmt.format(t)} ${timeFmt.format(t)}`;

/** The same array as last time when the contents did not change (keeps memos below stable). */
function useStableArray<T>(next: readonly T[]): readonly T[] {
  const prev = useRef(next);
  const p = prev.current;
  if (p !== next && (p.length !== next.length || p.some((x, i) => x !== next[i]))) prev.current = next;
  return prev.current;
}

/** The shortest range that covers an object's whole life (its age plus a little), else the longest. */
export function rangeForAge(createdAt: number | undefined, now: number): RangeKey {
  if (createdAt === undefined) return '1h';
  const age = (now - createdAt) * 1.1;
  return RANGES.find((r) => r.ms >= age)?.key ?? '7d';
}

const isRangeKey = (s: string): s is RangeKey => RANGES.some((r) => r.key === s);

export function TimelineView(props: {
  cluster: string;
  namespace?: string;
  kind?: string;
  name?: string;
  /** When the object was created: the default range fits its age. */
  createdAt?: number;
}) {
  const { cluster, namespace, kind, name, createdAt } = props;
  const scope: TimelineScope = useMemo(() => ({ namespace, kind, name }), [namespace, kind, name]);
  // Range, zoom and type filter live in the URL: a view can be shared and survives a reload.
  const [defaultRange] = useState(() => rangeForAge(createdAt, Date.now()));
  const [rangeParam, setRangeParam] = useQueryState('range', defaultRange);
  const rangeKey: RangeKey = isRangeKey(rangeParam) ? rangeParam : defaultRange;
  const setRangeKey = (k: RangeKey) => setRangeParam(k);
  const [zoomParam, setZoomParam] = useQueryState('zoom', '');
  const zoom = useMemo(() => {
    const m = /^(\d+)-(\d+)$/.exec(zoomParam);
    return m ? { from: Number(m[1]), to: Number(m[2]) } : null;
  }, [zoomParam]);
  const setZoom = useCallback(
    (z: { from: number; to: number } | null) => setZoomParam(z ? `${Math.round(z.from)}-${Math.round(z.to)}` : ''),
    [setZoomParam],
  );
  const [typesParam, setTypesParam] = useQueryState('types', '');
  const types: ReadonlySet<string> = useMemo(
    () => (typesParam === '' ? ALL_TYPES : new Set(typesParam === '-' ? [] : typesParam.split(','))),
    [typesParam],
  );
  const setTypes = (next: ReadonlySet<string> | ((prev: ReadonlySet<string>) => ReadonlySet<string>)) => {
    const v = typeof next === 'function' ? next(types) : next;
    setTypesParam(v.size === ALL_TYPES.size ? '' : v.size === 0 ? '-' : [...v].join(','));
  };
  const [hover, setHover] = useState<{ seqs: number[]; source: 'chart' | 'table' } | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const tableWrap = useRef<HTMLDivElement>(null);
  const returnFocus = useRef<Element | null>(null);

  const span = (RANGES.find((r) => r.key === rangeKey) ?? RANGES[1]).ms;
  // The range follows now unless zoomed: refresh often enough to move by about a pixel or two.
  const now = useNow(zoom ? 60_000 : Math.min(60_000, Math.max(2000, span / 400)));
  const data = useTimelineEvents(cluster, scope, span, zoom);

  const from = zoom ? zoom.from : now - span;
  const to = zoom?.to;
  const { fetched, live } = data;
  // A command's states (pending … succeeded) are one entry: its newest.
  const windowed = useStableArray(
    useMemo(() => latestPerCommand(mergeEvents(fetched, live, from, to)), [fetched, live, from, to]),
  );
  // Following now, the axis ends at now (or at the newest event if a clock runs ahead).
  const axisTo = zoom ? zoom.to : Math.max(now, windowed[0]?.time ?? now);

  // What the chips and the total count: the events loaded, or — when the range
  // holds more than are loaded — the hub's counts of the whole range.
  const serverCounts = data.counts;
  const counts = useMemo(() => {
    const c = new Map<string, number>();
    if (serverCounts) for (const [t, n] of Object.entries(serverCounts.byType)) c.set(t, n);
    else for (const e of windowed) c.set(e.type, (c.get(e.type) ?? 0) + 1);
    return c;
  }, [windowed, serverCounts]);
  const inRange = serverCounts ? serverCounts.total : windowed.length;
  const shown = serverCounts ? [...types].reduce((sum, t) => sum + (counts.get(t) ?? 0), 0) : undefined;
  const filtered = useMemo(
    () => (types.size === ALL_TYPES.size ? windowed : windowed.filter((e) => types.has(e.type))),
    [windowed, types],
  );
  // The live inventory: a lane starts when its pod did, and pods in scope
  // that did not change phase in the range still get their lane.
  const [podsRead, setPodsRead] = useState(0);
  const livePods = useScopePods(cluster, scope, podsRead);
  const podCreated = useMemo(() => {
    const m = new Map(livePods.map((p) => [podKey(p.namespace, p.name), p.createdAt]));
    return (namespace: string, name: string) => m.get(podKey(namespace, name));
  }, [livePods]);
  const lanes = useMemo(
    () =>
      types.has('pod-phase') ? withLivePods(podLanes(windowed, from, axisTo, podCreated), livePods, from, axisTo) : [],
    [windowed, from, axisTo, types, podCreated, livePods],
  );
  // The events not loaded, per bucket, of the chosen types only.
  const serverBuckets = data.buckets;
  const buckets = useMemo(() => {
    if (!serverBuckets || types.size === ALL_TYPES.size) return serverBuckets;
    const kept = serverBuckets.buckets.map((b) => {
      const byType = Object.fromEntries(Object.entries(b.byType).filter(([t]) => types.has(t)));
      return { ...b, byType, total: Object.values(byType).reduce((sum, n) => sum + n, 0) };
    });
    return { ...serverBuckets, buckets: kept.filter((b) => b.total > 0) };
  }, [serverBuckets, types]);
  const bySeq = useMemo(() => new Map(windowed.map((e) => [e.seq, e])), [windowed]);
  const selectedEvent = selected === null ? undefined : bySeq.get(selected);

  const onHoverChart = useCallback(
    (seqs: number[] | null) => setHover(seqs && seqs.length > 0 ? { seqs, source: 'chart' } : null),
    [],
  );
  const onHoverTable = useCallback(
    (seq: number | null) => setHover(seq === null ? null : { seqs: [seq], source: 'table' }),
    [],
  );
  const open = useCallback((seq: number) => {
    returnFocus.current = document.activeElement;
    setSelected(seq);
  }, []);
  const close = useCallback(() => {
    const seq = selected;
    setSelected(null);
    const back = returnFocus.current;
    requestAnimationFrame(() => {
      if (back instanceof HTMLElement && back.isConnected && back !== document.body) back.focus();
      else if (seq !== null) tableWrap.current?.querySelector<HTMLElement>(`tr[data-seq="${seq}"] button`)?.focus();
    });
  }, [selected]);
  const onZoom = useCallback(
    (a: number, b: number) => {
      setZoom({ from: a, to: b });
      setHover(null);
    },
    [setZoom],
  );

  const toggleType = (t: string) =>
    setTypes((prev) => {
      const next = new Set(prev);
      if (next.has(t)) next.delete(t);
      else next.add(t);
      return next;
    });

  const highlight = hover?.seqs ?? [];
  const highlightCss =
    highlight.length > 0
      ? `${highlight
          .slice(0, 200)
          .map((s) => `.tl-table tr[data-seq="${s}"] > td`)
          .join(', ')} { background: var(--tl-hl-bg); }`
      : '';

  return (
    <section className="tl" role="region" aria-label="Timeline">
      <div className="toolbar tl-toolbar">
        <label className="tl-range">
          <span>Time range</span>
          <select
            value={rangeKey}
            onChange={(e) => {
              const range = RANGES.find((r) => r.key === e.target.value);
              if (range) setRangeKey(range.key);
              setZoom(null);
            }}
          >
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {zoom ? (
          <>
            <span className="hint">
              Zoomed: {timeLabel(zoom.from)} – {timeLabel(zoom.to)}
            </span>
            <button type="button" onClick={() => setZoom(null)}>
              Reset zoom
            </button>
          </>
        ) : (
          <span className="badge ok tl-live" title="New events appear as they happen">
            Following now
          </span>
        )}
        <span className="grow" />
        <span className="hint" aria-live="polite">
          {data.loading
            ? 'Loading…'
            : `${(shown ?? filtered.length).toLocaleString()} of ${inRange.toLocaleString()} events`}
        </span>
        <button
          type="button"
          onClick={() => {
            data.reload();
            setPodsRead((n) => n + 1);
          }}
          disabled={data.loading}
        >
          Refresh
        </button>
      </div>

      <fieldset className="tl-types">
        <legend>Event types</legend>
        {TIMELINE_EVENT_TYPES.map((t) => (
          <label key={t} className={types.has(t) ? 'tl-chip on' : 'tl-chip'}>
            <input type="checkbox" checked={types.has(t)} onChange={() => toggleType(t)} />
            {t}
            <span className="tl-count" aria-label={`${counts.get(t) ?? 0} events`}>
              {counts.get(t) ?? 0}
            </span>
          </label>
        ))}
        <button
          type="button"
          className="link"
          onClick={() => setTypes(ALL_TYPES)}
          disabled={types.size === ALL_TYPES.size}
        >
          All types
        </button>
        <button type="button" className="link" onClick={() => setTypes(new Set())} disabled={types.size === 0}>
          None
        </button>
      </fieldset>

      {data.error && (
        <div className="error-box" role="alert">
          Could not load the timeline: {data.error}{' '}
          <button type="button" onClick={data.reload}>
            Retry
          </button>
        </div>
      )}
      {data.truncated && (
        <p className="hint">
          The table shows the newest {MAX_EVENTS.toLocaleString()} of the{' '}
          {(serverCounts?.total ?? MAX_EVENTS).toLocaleString()} events in this range; the chart shows the rest as bars
          (how many per moment) — click a bar or drag on the chart to zoom for them.
        </p>
      )}

      <TimelineChart
        events={filtered}
        lanes={lanes}
        from={from}
        to={axisTo}
        highlight={highlight}
        buckets={buckets}
        showNamespace={!namespace}
        onHover={onHoverChart}
        onSelect={open}
        onZoom={onZoom}
        timeLabel={timeLabel}
      />
      <Legend show={lanes.length > 0} />

      <style>{highlightCss}</style>
      {filtered.length === 0 ? (
        <p className="empty">{data.loading ? 'Loading events…' : 'No events in this range.'}</p>
      ) : (
        <EventTable
          events={filtered}
          // The oldest event loaded is a page boundary while the range's pages load (the first 100 show at
          // once) or when the range holds more than is loaded: a burst reaching it may go on past it.
          notLoadedFrom={data.truncated || data.loading ? data.fetched.at(-1)?.time : undefined}
          scroller={tableWrap}
          reveal={hover?.source === 'chart' ? hover.seqs[0] : undefined}
          onNearEnd={data.more}
          hideNamespace={Boolean(namespace)}
          onOpen={open}
          onHover={onHoverTable}
        />
      )}

      {selectedEvent && <EventDrawer event={selectedEvent} cluster={cluster} onClose={close} />}
    </section>
  );
}

function Legend({ show }: { show: boolean }) {
  if (!show) return null;
  return (
    <ul className="tl-legend" aria-label="Pod phase colours">
      {Object.entries(BAND_LABELS).map(([s, label]) => (
        <li key={s}>
          <span className={`tl-swatch ${s}`} aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}

const rowSeq = (target: EventTarget | null): number | null => {
  const tr = target instanceof Element ? target.closest('tr[data-seq]') : null;
  const v = tr?.getAttribute('data-seq');
  return v ? Number(v) : null;
};

/**
 * The events as a virtual table (issue 18): only the rows in view are in the
 * DOM (each measured as it renders: a burst's row is taller); nearing the end
 * of the events loaded asks for the next page of older ones; a marker hovered
 * on the chart scrolls its row into view.
 */
const EventTable = memo(function EventTable(props: {
  events: readonly TimelineEvent[];
  /** Older events of the range are not loaded: the time of the oldest loaded (see tableRows). */
  notLoadedFrom: number | undefined;
  scroller: React.RefObject<HTMLDivElement | null>;
  /** A seq whose row to bring into view. */
  reveal: number | undefined;
  onNearEnd: () => void;
  hideNamespace: boolean;
  onOpen: (seq: number) => void;
  onHover: (seq: number | null) => void;
}) {
  const { events, notLoadedFrom, scroller, reveal, onNearEnd, hideNamespace, onOpen, onHover } = props;
  const all = useMemo(() => tableRows(events, notLoadedFrom), [events, notLoadedFrom]);
  const rowOf = useMemo(() => {
    const m = new Map<number, number>();
    all.forEach((r, i) => {
      if (r.kind === 'event') m.set(r.event.seq, i);
      else for (const e of r.events) m.set(e.seq, i);
    });
    return m;
  }, [all]);
  const virtual = useVirtualizer({
    count: all.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE,
    getItemKey: (i) => {
      const r = all[i];
      return r?.kind === 'event' ? r.event.seq : `burst-${r?.events[0]?.seq ?? i}`;
    },
    overscan: 10,
    // Measured rows re-render with the next frame, not synchronously inside the commit that rendered them.
    useFlushSync: false,
  });
  const inView = virtual.getVirtualItems();
  const lastInView = inView.at(-1)?.index ?? 0;
  useEffect(() => {
    if (lastInView >= all.length - 50) onNearEnd();
  }, [lastInView, all.length, onNearEnd]);
  useEffect(() => {
    const i = reveal === undefined ? undefined : rowOf.get(reveal);
    if (i === undefined) return;
    const first = inView[0]?.index ?? 0;
    const last = inView.at(-1)?.index ?? 0;
    if (i <= first + 1 || i >= last - 1) virtual.scrollToIndex(i, { align: 'center' });
    // Only a new hovered marker scrolls; the rows in view moving must not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reveal, rowOf]);
  const before = inView[0]?.start ?? 0;
  const after = inView.length > 0 ? virtual.getTotalSize() - (inView.at(-1)?.end ?? 0) : 0;
  // Only the rows in view (a few dozen) render: no memo needed.
  const body = inView
    .map((v) => ({ v, r: all[v.index] }))
    .map(({ v, r }) => {
      if (!r) return null;
      if (r.kind === 'event') {
        const e = r.event;
        return (
          <tr key={e.seq} data-seq={e.seq} data-type={e.type} data-index={v.index} ref={virtual.measureElement}>
            <td className="tl-time">{timeLabel(e.time)}</td>
            <td>{e.type}</td>
            <td>
              <span className={`badge ${SEVERITY_CLASS[e.severity] ?? 'muted'}`}>{e.severity}</span>
            </td>
            <td className="tl-object">{objectLabel(e, hideNamespace)}</td>
            <td>
              <button type="button" className="link tl-open">
                {e.summary}
              </button>
            </td>
          </tr>
        );
      }
      const newest = r.events[0];
      const oldest = r.events[r.events.length - 1];
      if (!newest || !oldest) return null;
      // The burst opens its newest restart; its rows' seqs let the chart highlight it.
      return (
        <tr
          key={`burst-${newest.seq}`}
          data-seq={newest.seq}
          data-type="container-restart"
          data-burst={r.events.length}
          data-burst-open={r.open ? 'true' : undefined}
          data-index={v.index}
          ref={virtual.measureElement}
        >
          <td className="tl-time">
            {timeLabel(newest.time)}
            <div className="hint">
              from {r.open ? 'before ' : ''}
              {timeLabel(oldest.time)}
            </div>
          </td>
          <td>container-restart</td>
          <td>
            <span className={`badge ${SEVERITY_CLASS[newest.severity] ?? 'muted'}`}>{newest.severity}</span>
          </td>
          <td className="tl-object">{objectLabel(newest, hideNamespace)}</td>
          <td>
            <button type="button" className="link tl-open">
              {burstSummary(r.events, r.open)}
            </button>
          </td>
        </tr>
      );
    });
  const onClick = (ev: ReactMouseEvent) => {
    const seq = rowSeq(ev.target);
    if (seq !== null) onOpen(seq);
  };
  const onOver = (ev: ReactMouseEvent | FocusEvent) => onHover(rowSeq(ev.target));
  // The scroller is rendered here, so its ref is set before the virtualizer first measures it.
  return (
    <div className="tl-table tl-table-wrap" ref={scroller}>
      <table className="data" aria-label="Timeline events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Severity</th>
            <th scope="col">Object</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody
          onClick={onClick}
          onMouseOver={onOver}
          onMouseLeave={() => onHover(null)}
          onFocus={onOver}
          onBlur={() => onHover(null)}
        >
          {before > 0 && (
            <tr aria-hidden="true" style={{ height: before }}>
              <td colSpan={5} className="spacer" />
            </tr>
          )}
          {body}
          {after > 0 && (
            <tr aria-hidden="true" style={{ height: after }}>
              <td colSpan={5} className="spacer" />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
});
