// A deep link that opens a shell (runbooks, alerts): it names the cluster, pod,
// container and command, and asks before connecting — a link alone never runs
// anything. Once confirmed the shell opens in the tray and the pod's page shows
// (replacing the link in the history, so Back or a reload does not open another).
import { Link, useLocation, useSearch } from 'wouter';
import { objectHref } from '../links.js';
import { useShells } from '../shell/ShellProvider.js';
import { commandText, parseShellLink } from '../shell/shell-link.js';

export function ShellLinkPage({ cluster, namespace, pod }: { cluster: string; namespace: string; pod: string }) {
  const search = useSearch();
  const [, navigate] = useLocation();
  const shells = useShells();
  const link = parseShellLink({ cluster, namespace, pod }, search);
  const podHref = objectHref(cluster, 'Pod', namespace, pod);
  return (
    <>
      <h1>Open a shell</h1>
      {!link.ok ? (
        <div className="error-box" role="alert">
          This shell link is not valid: {link.error}.
        </div>
      ) : (
        <section className="panel" aria-label="Shell link">
          <dl className="kv">
            <dt>Cluster</dt>
            <dd>{link.target.cluster}</dd>
            <dt>Pod</dt>
            <dd>
              <Link href={podHref}>
                {link.target.namespace}/{link.target.pod}
              </Link>
            </dd>
            <dt>Container</dt>
            <dd>{link.target.container ?? <span className="hint">asked when the pod has several</span>}</dd>
            <dt>Command</dt>
            <dd>
              {link.target.command ? (
                <code aria-label="Command">{commandText(link.target.command)}</code>
              ) : (
                <span className="hint">the container's shell (bash, else sh)</span>
              )}
            </dd>
          </dl>
          <p className="hint">
            The shell runs as you: it is authorized, audited and recorded like any other, and exec guard counts it.
          </p>
          <div className="toolbar">
            <button
              type="button"
              className="primary"
              autoFocus
              onClick={() => {
                shells.open(link.target);
                navigate(podHref, { replace: true });
              }}
            >
              Open shell
            </button>
            <Link href={podHref}>Cancel</Link>
          </div>
        </section>
      )}
    </>
  );
}
