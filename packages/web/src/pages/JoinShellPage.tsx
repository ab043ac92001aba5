// /join/<session id>: the link a shell's owner shares. Watching (observer) or
// joining (peer) opens the session in this person's shell tray; the hub checks
// pod:exec on the session's pod and audits the join.
import { useState } from 'react';
import { useShells } from '../shell/ShellProvider.js';

export function JoinShellPage({ sessionId }: { sessionId: string }) {
  const shells = useShells();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const go = (mode: 'observer' | 'peer') => {
    setBusy(true);
    setError(null);
    void shells.join(sessionId, mode).then((e) => {
      setBusy(false);
      setError(e);
    });
  };
  return (
    <>
      <h1>Join a shell</h1>
      <p>
        Session <code>{sessionId}</code>. Watching shows its output as it happens; joining as a peer lets you type in it
        too. Everyone in the session sees who joined, and the join is audited.
      </p>
      <div className="toolbar">
        <button type="button" disabled={busy} onClick={() => go('observer')}>
          Watch
        </button>
        <button type="button" disabled={busy} onClick={() => go('peer')}>
          Join as peer
        </button>
      </div>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
    </>
  );
}
