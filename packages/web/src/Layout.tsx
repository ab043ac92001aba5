// The frame around every page: top bar (cluster, search, live state, theme,
// user), navigation, and the shell tray at the bottom.
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from './api/client.js';
import type { ClusterView } from './api/types.js';
import { useAsync, useLiveState } from './data/hooks.js';
import { can } from './data/permissions.js';
import { useSession } from './data/session.js';
import { ShellTray } from './shell/ShellProvider.js';
import { GlobalSearch } from './ui/GlobalSearch.js';

export function currentCluster(location: string): string | undefined {
  const m = /^\/c\/([^/]+)/.exec(location);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export function Layout({ children }: { children: ReactNode }) {
  const [location, navigate] = useLocation();
  const { me, logout } = useSession();
  const fromPath = currentCluster(location);
  const [lastCluster, setLastCluster] = useState(() => localStorage.getItem('wh-cluster') ?? undefined);
  useEffect(() => {
    if (fromPath) {
      localStorage.setItem('wh-cluster', fromPath);
      setLastCluster(fromPath);
    }
  }, [fromPath]);
  const clusters = useAsync((signal) => api<{ items: ClusterView[] }>('/api/v1/clusters', { signal }), []);
  const known = clusters.data?.items.map((c) => c.name) ?? [];
  const cluster = fromPath ?? (lastCluster && known.includes(lastCluster) ? lastCluster : known[0]);
  const auditor = can(me, 'audit:read', {});
  const notifier = can(me, 'notifications:manage', {});
  // A cluster in the URL that the hub does not list (none by that name, or not one this user may see).
  const missing = fromPath !== undefined && clusters.data !== undefined && !known.includes(fromPath);

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to main content
      </a>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="Wheelhouse home">
          <svg width="20" height="20" viewBox="0 0 16 16" aria-hidden="true">
            <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="2" />
            <path d="M8 1v14M1 8h14M3 3l10 10M13 3 3 13" stroke="currentColor" />
          </svg>
          Wheelhouse
        </Link>
        <label>
          <span className="visually-hidden">Cluster</span>
          <select
            aria-label="Cluster"
            value={cluster ?? ''}
            onChange={(e) => navigate(`/c/${encodeURIComponent(e.target.value)}/workloads`)}
            disabled={known.length === 0}
          >
            {known.length === 0 && <option value="">no clusters</option>}
            {known.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        {cluster && <LiveIndicator cluster={cluster} />}
        {cluster && <GlobalSearch cluster={cluster} />}
        <span className="spacer" />
        <ThemeToggle />
        {/* The accessible name contains the visible text (WCAG 2.5.3): "Signed in as <name>". */}
        <Link href="/account" className="hint">
          <span className="visually-hidden">Signed in as </span>
          {me?.user.username}
        </Link>
        <button type="button" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      <aside className="sidebar">
        <nav aria-label="Main">
          <NavLink href="/">Broken now</NavLink>
          <NavLink href="/clusters">Clusters</NavLink>
          {cluster && (
            <>
              <div className="section">{cluster}</div>
              <NavLink href={`/c/${cluster}/workloads`}>Workloads</NavLink>
              <NavLink href={`/c/${cluster}/pods`}>Pods &amp; logs</NavLink>
              <NavLink href={`/c/${cluster}/nodes`}>Nodes</NavLink>
              <NavLink href={`/c/${cluster}/insights`}>Insights</NavLink>
              <NavLink href={`/c/${cluster}/top`}>Resource usage</NavLink>
              <NavLink href={`/c/${cluster}/timeline`}>Timeline</NavLink>
              <NavLink href={`/c/${cluster}/actions`}>Actions</NavLink>
              <NavLink href={`/c/${cluster}/edit`}>Resource editor</NavLink>
            </>
          )}
          <div className="section">Hub</div>
          <NavLink href="/sessions">Shell sessions</NavLink>
          <NavLink href="/access">Access</NavLink>
          {auditor && <NavLink href="/audit">Audit log</NavLink>}
          {notifier && <NavLink href="/settings/notifications">Notifications</NavLink>}
        </nav>
      </aside>
      <main id="main" tabIndex={-1}>
        {missing ? (
          <>
            <h1>No cluster named {fromPath}</h1>
            <p className="empty" role="alert">
              The hub has no cluster named <code>{fromPath}</code>, or you may not see it.{' '}
              {known.length > 0 ? (
                <>
                  Your clusters: <Link href="/clusters">{known.join(', ')}</Link>.
                </>
              ) : (
                'You may not see any cluster yet.'
              )}
            </p>
          </>
        ) : (
          children
        )}
      </main>
      <ShellTray />
    </div>
  );
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [location] = useLocation();
  const active = href === '/' ? location === '/' : location === href || location.startsWith(`${href}/`);
  return (
    <Link href={href} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function LiveIndicator({ cluster }: { cluster: string }) {
  const state = useLiveState(cluster);
  const cls = state === 'live' ? 'ok' : state === 'connecting' ? 'warn' : 'err';
  const text = state === 'live' ? 'live' : state === 'connecting' ? 'connecting' : 'reconnecting…';
  return (
    <span className="hint" role="status" aria-label={`Live updates: ${text}`}>
      <span className={`dot ${cls}`} />
      {text}
    </span>
  );
}

function ThemeToggle() {
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? 'system');
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => {
        document.documentElement.dataset.theme = next;
        localStorage.setItem('wh-theme', next);
        setTheme(next);
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}
