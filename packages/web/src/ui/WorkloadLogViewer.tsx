// Every container log of a workload's pods, merged live by the hub (stern-
// style): each line tagged and coloured by pod, pods joining and leaving as a
// rollout replaces them. Filtering (by pod, by text) only hides lines: the
// buffer keeps them, so clearing the filter shows them again. The buffer is
// bounded (MAX_LINES); what falls out of it, and what the hub dropped for a
// slow page, is said in the page.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { WorkloadLogsServerMessage } from '@wheelhouse/protocol';
import { wsUrl, withQuery } from '../api/client.js';
import { can } from '../data/permissions.js';
import { useMe } from '../data/session.js';
import { MissingPermission } from './MissingPermission.js';
import { reportLogStreamStatus } from './log-stream-status.js';
import { MAX_LINES } from './LogViewer.js';

/** Kinds whose pods the hub merges (protocol WORKLOAD_LOG_KINDS; the console does not load the zod module). */
export const WORKLOAD_LOG_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

/** Light colours that keep AA contrast on the log panel's dark background, one per pod in order of appearance. */
const POD_COLOURS = ['#7cc4ff', '#ffb86b', '#8be28b', '#ff8fb1', '#d4a5ff', '#6ee7d8', '#f5e06e', '#ff9e7a'];

export interface Entry {
  /** Line of a container, or a note of the stream (joined, left, dropped). */
  kind: 'line' | 'note';
  pod: string;
  container: string;
  text: string;
}

/** Appends entries, keeping the last `max`; returns how many fell out. */
export function appendBounded(buf: Entry[], add: Entry[], max = MAX_LINES): { buf: Entry[]; evicted: number } {
  const next = buf.concat(add);
  const evicted = Math.max(0, next.length - max);
  return { buf: evicted ? next.slice(evicted) : next, evicted };
}

/** A frame as entries (data: one per line; the rest: a note). */
export function entriesOf(f: WorkloadLogsServerMessage): Entry[] {
  switch (f.type) {
    case 'data':
      return f.text
        .slice(0, -1)
        .split('\n')
        .map((text) => ({ kind: 'line', pod: f.pod, container: f.container, text }));
    case 'joined':
      return [{ kind: 'note', pod: f.pod, container: f.container, text: 'joined: following its log' }];
    case 'left':
      return [{ kind: 'note', pod: f.pod, container: f.container, text: `left: ${f.message ?? f.reason}` }];
    case 'limited':
      return [
        {
          kind: 'note',
          pod: f.pod,
          container: f.container,
          text: `not followed: a workload log follows at most ${f.limit} containers`,
        },
      ];
    case 'dropped':
      return [
        {
          kind: 'note',
          pod: '',
          container: '',
          text: `${f.lines} lines (${f.bytes} bytes) dropped by the hub: the page could not keep up`,
        },
      ];
    case 'end':
      return [];
  }
}

interface Props {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
}

export function WorkloadLogViewer(props: Props) {
  const me = useMe();
  const scope = { cluster: props.cluster, namespace: props.namespace };
  if (me && !can(me, 'logs:read', scope))
    return <MissingPermission what="Container logs" permission="logs:read" scope={scope} />;
  return <WorkloadLogStream {...props} />;
}

function WorkloadLogStream({ cluster, kind, namespace, name }: Props) {
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(false);
  const [tailLines, setTailLines] = useState(100);
  const [search, setSearch] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const [podFilter, setPodFilter] = useState('');
  const [entries, setEntries] = useState<Entry[]>([]);
  const [evicted, setEvicted] = useState(0);
  const [status, setStatus] = useState('connecting…');
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    setEntries([]);
    setEvicted(0);
    setStatus('connecting…');
    let acc: Entry[] = [];
    let gone = 0;
    const url = wsUrl(
      withQuery(
        `/api/v1/clusters/${encodeURIComponent(cluster)}/workloads/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}/logs`,
        { follow, timestamps, tailLines },
      ),
    );
    const ws = new WebSocket(url);
    let raf = 0;
    const flush = () => {
      raf = 0;
      setEntries(acc);
      setEvicted(gone);
    };
    ws.onopen = () => setStatus(follow ? 'following' : 'loading');
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const f = JSON.parse(ev.data) as WorkloadLogsServerMessage;
      if (f.type === 'end') {
        flush();
        setStatus(f.reason === 'eof' || f.reason === 'closed' ? 'end of log' : `ended: ${f.message ?? f.reason}`);
        return;
      }
      const r = appendBounded(acc, entriesOf(f));
      acc = r.buf;
      gone += r.evicted;
      raf ||= requestAnimationFrame(flush);
    };
    reportLogStreamStatus(ws, url, setStatus);
    return () => {
      cancelAnimationFrame(raf);
      ws.close();
    };
  }, [cluster, kind, namespace, name, follow, timestamps, tailLines]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [entries]);

  const colours = useMemo(() => {
    const m = new Map<string, string>();
    for (const e of entries)
      if (e.pod && !m.has(e.pod)) m.set(e.pod, POD_COLOURS[m.size % POD_COLOURS.length] ?? '#d7dde8');
    return m;
  }, [entries]);
  const pods = useMemo(() => [...colours.keys()].sort(), [colours]);

  const term = search.toLowerCase();
  const shown = useMemo(
    () =>
      entries.filter(
        (e) =>
          (!podFilter || e.pod === podFilter || e.pod === '') &&
          (!onlyMatches || !term || e.kind === 'note' || e.text.toLowerCase().includes(term)),
      ),
    [entries, podFilter, onlyMatches, term],
  );
  const lineCount = entries.filter((e) => e.kind === 'line').length;

  return (
    <section aria-label="Workload logs">
      <div className="toolbar" role="group" aria-label="Log options">
        <select aria-label="Pod" value={podFilter} onChange={(e) => setPodFilter(e.target.value)}>
          <option value="">All pods ({pods.length})</option>
          {pods.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <label>
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label>
          Last{' '}
          <select aria-label="Lines" value={tailLines} onChange={(e) => setTailLines(Number(e.target.value))}>
            {[10, 100, 500, 1000].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>{' '}
          lines per container
        </label>
        <input
          type="search"
          aria-label="Search logs"
          placeholder="Search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label>
          <input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} /> Only
          matching
        </label>
        <span className="grow" />
        <span className="hint" role="status">
          {status} · {lineCount} lines{shown.length < entries.length ? ` (${shown.length} shown)` : ''}
        </span>
      </div>
      {evicted > 0 && (
        <p className="hint" role="note" aria-label="Dropped lines">
          {evicted} older lines dropped from the page (it keeps the last {MAX_LINES})
        </p>
      )}
      <div
        className="logs"
        ref={box}
        role="log"
        aria-label={`Logs of ${kind} ${name}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.map((e, i) => (
          <div key={i} className={e.kind === 'note' ? 'log-note' : undefined}>
            {e.pod && (
              <span className="log-tag" style={{ color: colours.get(e.pod) }}>
                {e.pod}/{e.container}{' '}
              </span>
            )}
            {term && e.kind === 'line' ? <Highlight text={e.text} term={term} /> : e.text || ' '}
          </div>
        ))}
      </div>
    </section>
  );
}

function Highlight({ text, term }: { text: string; term: string }) {
  const lower = text.toLowerCase();
  const out: React.ReactNode[] = [];
  let at = 0;
  for (let i = lower.indexOf(term); i >= 0 && term; i = lower.indexOf(term, at)) {
    out.push(text.slice(at, i), <mark key={i}>{text.slice(i, i + term.length)}</mark>);
    at = i + term.length;
  }
  out.push(text.slice(at));
  return <>{out}</>;
}
