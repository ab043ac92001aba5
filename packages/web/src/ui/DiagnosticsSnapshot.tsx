// The pod page's diagnostics snapshot: runs the diagnostics-snapshot action
// (podExec tier, audited like a shell) and shows its result as tables — top
// processes by memory and CPU, memory available, disks by use — and which
// tools the image lacks.
import { useState } from 'react';
import { isTerminal } from '@wheelhouse/protocol/core';
import { api, errorText } from '../api/client.js';
import type { CommandDetail } from '../api/types.js';
import { useAsync, useCommand } from '../data/hooks.js';
import { CommandStatus } from './CommandStatus.js';

interface ProcessRow {
  pid: number;
  user: string;
  cpuPercent: number | null;
  memPercent: number | null;
  rssBytes: number | null;
  command: string;
}
interface Snapshot {
  container: string;
  processCount: number;
  topByMemory: ProcessRow[];
  topByCpu: ProcessRow[] | null;
  memory: {
    totalBytes: number;
    usedBytes: number;
    availableBytes: number;
    availableEstimated: boolean;
    availablePercent: number;
    low: boolean;
  } | null;
  disks: { filesystem: string; sizeBytes: number; usedBytes: number; usePercent: number; mountedOn: string }[];
  missing: string[];
  failed: Record<string, string>;
}

const mib = (b: number | null) => (b === null ? '—' : `${Math.round(b / 1024 ** 2)}Mi`);
const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)}Gi`;

function Processes({ label, rows }: { label: string; rows: ProcessRow[] }) {
  return (
    <table className="data" aria-label={label}>
      <caption>{label}</caption>
      <thead>
        <tr>
          <th className="num">PID</th>
          <th>User</th>
          <th className="num">CPU</th>
          <th className="num">Memory</th>
          <th>Command</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.pid}>
            <td className="num">{r.pid}</td>
            <td>{r.user}</td>
            <td className="num">{r.cpuPercent === null ? '—' : `${r.cpuPercent} %`}</td>
            <td className="num">{mib(r.rssBytes)}</td>
            <td className="mono" title={r.command}>
              {r.command.length > 120 ? `${r.command.slice(0, 120)}…` : r.command}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SnapshotView({ s }: { s: Snapshot }) {
  return (
    <div aria-label="Diagnostics snapshot">
      {s.missing.length > 0 && (
        <p className="warn-box" aria-label="Missing tools">
          The image lacks {s.missing.join(', ')}: {s.missing.length === 3 ? 'nothing' : 'that part'} could not be read.
        </p>
      )}
      {Object.entries(s.failed).map(([tool, why]) => (
        <p key={tool} className="error-box">
          {tool} ran but could not be read: {why}
        </p>
      ))}
      {s.memory && (
        <p aria-label="Memory available" className={s.memory.low ? 'error-box' : undefined}>
          Memory available: {gib(s.memory.availableBytes)} of {gib(s.memory.totalBytes)} ({s.memory.availablePercent} %
          {s.memory.availableEstimated ? ', estimated' : ''}){s.memory.low ? ' — low (under 20 %)' : ''}.{' '}
          <span className="hint">free shows the node's memory, not the container's limit.</span>
        </p>
      )}
      {s.topByMemory.length > 0 && (
        <Processes label={`Top processes by memory (of ${s.processCount})`} rows={s.topByMemory} />
      )}
      {s.topByCpu ? (
        <Processes label="Top processes by CPU" rows={s.topByCpu} />
      ) : (
        s.topByMemory.length > 0 && <p className="hint">This ps (BusyBox) shows no CPU share.</p>
      )}
      {s.disks.length > 0 && (
        <table className="data" aria-label="Disks by use">
          <caption>Disks by use</caption>
          <thead>
            <tr>
              <th>Mounted on</th>
              <th>Filesystem</th>
              <th className="num">Size</th>
              <th className="num">Used</th>
              <th className="num">Use</th>
            </tr>
          </thead>
          <tbody>
            {s.disks.map((d) => (
              <tr key={`${d.filesystem} ${d.mountedOn}`}>
                <td className="mono">{d.mountedOn}</td>
                <td className="mono">{d.filesystem}</td>
                <td className="num">{gib(d.sizeBytes)}</td>
                <td className="num">{gib(d.usedBytes)}</td>
                <td className="num">{d.usePercent} %</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function DiagnosticsSnapshot({
  cluster,
  namespace,
  pod,
  containers,
}: {
  cluster: string;
  namespace: string;
  pod: string;
  containers: readonly string[];
}) {
  const [container, setContainer] = useState(containers[0] ?? '');
  const [id, setId] = useState<string>();
  const [error, setError] = useState<string>();
  const cmd = useCommand(cluster, id);
  const done = cmd !== undefined && isTerminal(cmd.state);
  // The live feed carries states; the result comes with the command's full view once it ended.
  const detail = useAsync(
    (signal) => (done && id ? api<CommandDetail>(`/api/v1/actions/${id}`, { signal }) : Promise.resolve(undefined)),
    [id, done],
  );
  const take = () => {
    setError(undefined);
    setId(undefined);
    api<{ id: string }>(`/api/v1/clusters/${encodeURIComponent(cluster)}/actions`, {
      method: 'POST',
      body: { action: 'diagnostics-snapshot', target: { kind: 'Pod', namespace, name: pod }, params: { container } },
    }).then(
      (r) => setId(r.id),
      (err: unknown) => setError(errorText(err)),
    );
  };
  const result = detail.data?.state === 'succeeded' ? (detail.data.result as unknown as Snapshot | null) : null;
  return (
    <section aria-label="Diagnostics">
      <p className="hint">
        Runs ps, free and df inside the container (exec, like a shell, and audited as one) and shows what they say.
      </p>
      <div className="toolbar">
        {containers.length > 1 && (
          <label>
            Container{' '}
            <select value={container} onChange={(e) => setContainer(e.target.value)}>
              {containers.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        )}
        <button type="button" onClick={take} disabled={id !== undefined && !done}>
          Take snapshot
        </button>
      </div>
      {error && <p className="error-box">{error}</p>}
      {id && <CommandStatus cluster={cluster} id={id} />}
      {result && <SnapshotView s={result} />}
    </section>
  );
}
