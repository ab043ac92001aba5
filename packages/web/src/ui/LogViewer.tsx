// Live log tail of a container: follow, previous container, timestamps (shown
// readable), tail size, wrap, search (highlight or only matching lines, with a
// match count), download and copy of what is shown. Streams over the hub's logs
// WebSocket; keeps at most MAX_LINES in the page.
import { useEffect, useMemo, useRef, useState } from 'react';
import { wsUrl, withQuery } from '../api/client.js';
import { can } from '../data/permissions.js';
import { useMe } from '../data/session.js';
import { countMatches, logFileName, splitTimestamp } from './log-lines.js';
import { MissingPermission } from './MissingPermission.js';
import { reportLogStreamStatus } from './log-stream-status.js';

export const MAX_LINES = 5000;

type LogFrame =
  | { type: 'data'; text: string }
  | { type: 'end'; reason: string; message?: string }
  | { type: 'dropped'; bytes: number };

/** Appends a chunk to the lines, carrying a partial last line; bounded. */
export function appendChunk(
  lines: string[],
  partial: string,
  text: string,
  max = MAX_LINES,
): { lines: string[]; partial: string } {
  const parts = (partial + text).split('\n');
  const rest = parts.pop() ?? '';
  const next = lines.concat(parts);
  return { lines: next.length > max ? next.slice(next.length - max) : next, partial: rest };
}

interface LogViewerProps {
  cluster: string;
  namespace: string;
  pod: string;
  containers: string[];
}

/** The log tail, or why it is not offered (container logs are their own permission, logs:read). */
export function LogViewer(props: LogViewerProps) {
  const me = useMe();
  const scope = { cluster: props.cluster, namespace: props.namespace };
  if (me && !can(me, 'logs:read', scope))
    return <MissingPermission what="Container logs" permission="logs:read" scope={scope} />;
  return <LogStream {...props} />;
}

function LogStream({ cluster, namespace, pod, containers }: LogViewerProps) {
  const [container, setContainer] = useState(containers[0] ?? '');
  const [follow, setFollow] = useState(true);
  const [previous, setPrevious] = useState(false);
  const [timestamps, setTimestamps] = useState(false);
  const [tailLines, setTailLines] = useState(500);
  const [search, setSearch] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const [wrap, setWrap] = useState(true);
  const [copied, setCopied] = useState('');
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState('connecting…');
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    if (!containers.includes(container) && containers[0]) setContainer(containers[0]);
  }, [containers, container]);

  useEffect(() => {
    if (!container) return;
    setLines([]);
    setStatus('connecting…');
    let partial = '';
    let acc: string[] = [];
    const url = wsUrl(
      withQuery(
        `/api/v1/clusters/${encodeURIComponent(cluster)}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/logs`,
        {
          container,
          follow,
          previous,
          timestamps,
          tailLines,
        },
      ),
    );
    const ws = new WebSocket(url);
    let raf = 0;
    const flush = () => {
      raf = 0;
      setLines(acc);
    };
    ws.onopen = () => setStatus(follow ? 'following' : 'loading');
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const f = JSON.parse(ev.data) as LogFrame;
      if (f.type === 'data') {
        ({ lines: acc, partial } = appendChunk(acc, partial, f.text));
        raf ||= requestAnimationFrame(flush);
      } else if (f.type === 'dropped') {
        acc = acc.concat(`… ${f.bytes} bytes dropped (the page could not keep up) …`);
        raf ||= requestAnimationFrame(flush);
      } else {
        if (partial) acc = acc.concat(partial);
        partial = '';
        setLines(acc);
        setStatus(f.reason === 'eof' || f.reason === 'closed' ? 'end of log' : `ended: ${f.message ?? f.reason}`);
      }
    };
    // A refused upgrade says nothing to the page; the same URL as a plain GET answers with the hub's reason.
    reportLogStreamStatus(ws, url, setStatus);
    return () => {
      cancelAnimationFrame(raf);
      ws.close();
    };
  }, [cluster, namespace, pod, container, follow, previous, timestamps, tailLines]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const shown = useMemo(
    () => (onlyMatches && search ? lines.filter((l) => l.toLowerCase().includes(search.toLowerCase())) : lines),
    [lines, onlyMatches, search],
  );
  const found = useMemo(() => countMatches(lines, search), [lines, search]);

  // Download and copy take the lines as shown (filtered when "Only matching"), as the container wrote them.
  const download = () => {
    const url = URL.createObjectURL(new Blob([shown.join('\n') + '\n'], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = logFileName(pod, container, previous, new Date());
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  const copy = () => {
    navigator.clipboard.writeText(shown.join('\n')).then(
      () => setCopied(`copied ${shown.length} lines`),
      () => setCopied('could not copy (the browser refused the clipboard)'),
    );
  };

  return (
    <section aria-label="Logs">
      <div className="toolbar" role="group" aria-label="Log options">
        {containers.length > 1 && (
          <select aria-label="Container" value={container} onChange={(e) => setContainer(e.target.value)}>
            {containers.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        )}
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <label>
          <input type="checkbox" checked={previous} onChange={(e) => setPrevious(e.target.checked)} /> Previous
          container
        </label>
        <label>
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label>
          Last{' '}
          <select aria-label="Lines" value={tailLines} onChange={(e) => setTailLines(Number(e.target.value))}>
            {[100, 500, 1000, 5000].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>{' '}
          lines
        </label>
        <input
          type="search"
          aria-label="Search logs"
          placeholder="Search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        {search && (
          <span className="hint" role="status" aria-label="Matches">
            {found.matches === 0
              ? 'no match'
              : `${found.matches} ${found.matches === 1 ? 'match' : 'matches'} in ${found.lines} ${found.lines === 1 ? 'line' : 'lines'}`}
          </span>
        )}
        <label>
          <input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} /> Only
          matching
        </label>
        <label>
          <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} /> Wrap lines
        </label>
        <button type="button" onClick={download} disabled={shown.length === 0}>
          Download
        </button>
        <button type="button" onClick={copy} disabled={shown.length === 0}>
          Copy
        </button>
        <span className="grow" />
        <span className="hint" role="status">
          {status} · {lines.length} lines{copied ? ` · ${copied}` : ''}
        </span>
      </div>
      <div
        className={wrap ? 'logs' : 'logs nowrap'}
        ref={box}
        role="log"
        aria-label={`Logs of ${pod}/${container}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.map((l, i) => {
          const ts = timestamps ? splitTimestamp(l) : undefined;
          const text = ts ? ts.text : l;
          return (
            <div key={i}>
              {ts && (
                <time className="log-ts" dateTime={ts.iso} title={ts.iso}>
                  {ts.stamp}{' '}
                </time>
              )}
              {search ? <Highlight text={text} term={search} /> : text || ' '}
            </div>
          );
        })}
      </div>
    </section>
  );
}

function Highlight({ text, term }: { text: string; term: string }) {
  const lower = text.toLowerCase();
  const t = term.toLowerCase();
  const out: React.ReactNode[] = [];
  let at = 0;
  for (let i = lower.indexOf(t); i >= 0 && t; i = lower.indexOf(t, at)) {
    out.push(text.slice(at, i), <mark key={i}>{text.slice(i, i + t.length)}</mark>);
    at = i + t.length;
  }
  out.push(text.slice(at));
  return <>{out}</>;
}
