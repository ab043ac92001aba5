// Plays a shell recording in a real terminal emulator (xterm.js, loaded on
// demand): play/pause, speed, and "jump to end".
import { messageOf } from '@wheelhouse/protocol/core';
import { useEffect, useRef, useState } from 'react';
import { parseCast, type Cast } from '../data/asciicast.js';

export function RecordingPlayer({ sessionId }: { sessionId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [cast, setCast] = useState<Cast>();
  const [error, setError] = useState<string>();
  const [playing, setPlaying] = useState(true);
  const [speed, setSpeed] = useState(1);
  const [pos, setPos] = useState(0);
  const term = useRef<{
    write: (s: string) => void;
    reset: () => void;
    dispose: () => void;
    resize: (c: number, r: number) => void;
  }>(null);
  const index = useRef(0);

  useEffect(() => {
    const life = { stopped: false };
    (async () => {
      const res = await fetch(`/api/v1/sessions/${sessionId}/recording`, { credentials: 'same-origin' });
      if (!res.ok) {
        const b: unknown = await res.json().catch(() => ({}));
        throw new Error(messageOf(b) ?? `HTTP ${res.status}`);
      }
      const c = parseCast(await res.text());
      const [{ Terminal }] = await Promise.all([import('@xterm/xterm'), import('@xterm/xterm/css/xterm.css')]);
      if (life.stopped || !host.current) return;
      const t = new Terminal({ cols: c.width, rows: c.height, disableStdin: true, convertEol: false, fontSize: 13 });
      t.open(host.current);
      term.current = t;
      setCast(c);
    })().catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    return () => {
      life.stopped = true;
      term.current?.dispose();
    };
  }, [sessionId]);

  useEffect(() => {
    if (!cast || !playing) return;
    const started = performance.now() - (pos * 1000) / speed;
    let raf = 0;
    const tick = () => {
      const now = ((performance.now() - started) / 1000) * speed;
      while (index.current < cast.events.length && (cast.events[index.current]?.t ?? Infinity) <= now) {
        const e = cast.events[index.current];
        if (e?.type === 'o') term.current?.write(e.data);
        if (e?.type === 'r') {
          const [c, r] = e.data.split('x').map(Number);
          if (c && r) term.current?.resize(c, r);
        }
        index.current++;
      }
      setPos(Math.min(now, cast.duration));
      if (index.current >= cast.events.length) {
        setPlaying(false);
        return;
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- pos is read once when playback (re)starts
  }, [cast, playing, speed]);

  return (
    <section aria-label="Recording">
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      <div className="toolbar">
        <button
          type="button"
          disabled={!cast}
          onClick={() => {
            if (!playing && cast && index.current >= cast.events.length) {
              term.current?.reset();
              index.current = 0;
              setPos(0);
            }
            setPlaying((p) => !p);
          }}
        >
          {playing ? 'Pause' : 'Play'}
        </button>
        <label>
          Speed{' '}
          <select aria-label="Speed" value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
            {[0.5, 1, 2, 4, 16].map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!cast}
          onClick={() => {
            if (!cast) return;
            for (; index.current < cast.events.length; index.current++) {
              const e = cast.events[index.current];
              if (e?.type === 'o') term.current?.write(e.data);
            }
            setPos(cast.duration);
            setPlaying(false);
          }}
        >
          Jump to end
        </button>
        <span className="hint" role="status">
          {pos.toFixed(1)} s / {cast ? cast.duration.toFixed(1) : '…'} s
        </span>
      </div>
      <div ref={host} data-testid="recording-terminal" />
    </section>
  );
}
