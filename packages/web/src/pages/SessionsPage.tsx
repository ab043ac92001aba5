// Pod shell sessions: your own, or everyone's with audit:read; recordings play
// back in the page.
import { useState } from 'react';
import { api } from '../api/client.js';
import type { Page, ShellSession } from '../api/types.js';
import { useAsync } from '../data/hooks.js';
import { Dialog } from '../ui/Dialog.js';
import { formatTime } from '../ui/format.js';
import { LoadingRow } from '../ui/LoadingRow.js';
import { RecordingPlayer } from '../ui/RecordingPlayer.js';

export function SessionsPage() {
  const sessions = useAsync(
    (signal) => api<Page<ShellSession>>('/api/v1/sessions', { query: { limit: 200 }, signal }),
    [],
  );
  const [playing, setPlaying] = useState<ShellSession>();
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          Shell sessions
        </h1>
        <button type="button" onClick={sessions.reload}>
          Refresh
        </button>
      </div>
      {sessions.error && (
        <div className="error-box" role="alert">
          {sessions.error}
        </div>
      )}
      <table className="data" aria-label="Shell sessions">
        <thead>
          <tr>
            <th>Started</th>
            <th>User</th>
            <th>Pod</th>
            <th>Container</th>
            <th className="num">Duration</th>
            <th>Ended</th>
            <th>Recording</th>
          </tr>
        </thead>
        <tbody>
          {sessions.data?.items.map((s) => (
            <tr key={s.id}>
              <td style={{ whiteSpace: 'nowrap' }}>{formatTime(s.startedAt)}</td>
              <td>{s.user}</td>
              <td>
                {s.cluster}/{s.namespace}/{s.pod}
              </td>
              <td>{s.container}</td>
              <td className="num">{s.durationMs !== null ? `${(s.durationMs / 1000).toFixed(1)} s` : 'open'}</td>
              <td>
                {s.reason ?? ''}
                {s.exitCode !== null ? ` (exit ${s.exitCode})` : ''}
                {s.reattaches > 0 && (
                  <span className="hint"> · reattached {s.reattaches === 1 ? 'once' : `${s.reattaches}×`}</span>
                )}
              </td>
              <td>
                {s.recording.available ? (
                  <button
                    type="button"
                    onClick={() => setPlaying(s)}
                    aria-label={`Play recording of ${s.pod} at ${formatTime(s.startedAt)}`}
                  >
                    ▶ Play ({Math.ceil(s.recording.bytes / 1024)} KiB{s.recording.truncated ? ', truncated' : ''})
                  </button>
                ) : (
                  <span className="hint">none</span>
                )}
              </td>
            </tr>
          ))}
          {!sessions.data && !sessions.error && <LoadingRow colSpan={7} what="shell sessions" />}
          {sessions.data?.items.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No shell sessions.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {playing && (
        <Dialog
          title={`Recording: ${playing.pod}/${playing.container} by ${playing.user}`}
          onClose={() => setPlaying(undefined)}
          wide
        >
          <RecordingPlayer sessionId={playing.id} />
        </Dialog>
      )}
    </>
  );
}
