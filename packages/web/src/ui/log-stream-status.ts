// The status line of a log viewer (a pod's or a whole workload's) as its
// WebSocket fails or ends: one rule for both viewers.
import type { Dispatch, SetStateAction } from 'react';
import { ApiError, api } from '../api/client.js';

/**
 * Says why the stream did not open (a browser hides the upgrade's answer, so
 * the same URL is asked over plain HTTP for the hub's reason; 426 means the
 * checks passed) and how it ended: "end of log" on a normal close, else
 * "disconnected" — only while it was live, so an earlier reason stays.
 */
export function reportLogStreamStatus(ws: WebSocket, url: string, setStatus: Dispatch<SetStateAction<string>>): void {
  ws.onerror = () => {
    setStatus('could not open the log stream');
    api(url.replace(/^ws/, 'http')).catch((err: unknown) => {
      if (err instanceof ApiError && err.status !== 426) setStatus(`could not open the log stream: ${err.describe()}`);
    });
  };
  ws.onclose = (ev) =>
    setStatus((s) =>
      s === 'following' || s === 'loading' || s.startsWith('connecting')
        ? ev.code === 1000
          ? 'end of log'
          : 'disconnected'
        : s,
    );
}
