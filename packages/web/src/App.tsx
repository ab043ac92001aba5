// Routes of the console. Paths are real URLs (the hub answers index.html for
// any non-API path), so every page can be bookmarked and shared.
import { Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import { Layout } from './Layout.js';
import { SessionProvider, useSession } from './data/session.js';
import { lazy, Suspense } from 'react';
import { AccessPage } from './pages/AccessPage.js';
import { AccountPage } from './pages/AccountPage.js';
import { ClustersPage } from './pages/ClustersPage.js';
import { CommandsPage } from './pages/CommandsPage.js';
import { InsightsPage } from './pages/InsightsPage.js';
import { TopPage } from './pages/TopPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { NodePage, NodesPage } from './pages/NodesPage.js';
import { ObjectPage } from './pages/ObjectPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { PodPage, PodsPage } from './pages/PodsPage.js';
import { ShellLinkPage } from './pages/ShellLinkPage.js';
import { TimelinePage } from './pages/TimelinePage.js';
import { WorkloadPage } from './pages/WorkloadPage.js';
import { WorkloadsPage } from './pages/WorkloadsPage.js';
import { ShellProvider } from './shell/ShellProvider.js';
import { ActionDialogHost } from './ui/ActionDialogHost.js';

// Pages that carry heavy libraries (CodeMirror and the YAML parser, xterm.js for
// playback) or that few people open load on demand.
const NotificationsPage = lazy(() =>
  import('./pages/NotificationsPage.js').then((m) => ({ default: m.NotificationsPage })),
);
const AuditPage = lazy(() => import('./pages/AuditPage.js').then((m) => ({ default: m.AuditPage })));
const EditorPage = lazy(() => import('./pages/EditorPage.js').then((m) => ({ default: m.EditorPage })));
const JoinShellPage = lazy(() => import('./pages/JoinShellPage.js').then((m) => ({ default: m.JoinShellPage })));
const SessionsPage = lazy(() => import('./pages/SessionsPage.js').then((m) => ({ default: m.SessionsPage })));

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}

function Gate() {
  const { me, checked } = useSession();
  const [location] = useLocation();
  const search = useSearch();
  if (!checked) return <p className="empty">Loading…</p>;
  if (!me || me.user.mustChangePassword) {
    // The query too: a deep link's container and command survive the sign-in.
    return <LoginPage next={location === '/login' ? '/' : search ? `${location}?${search}` : location} />;
  }
  return (
    <ShellProvider>
      <ActionDialogHost>
        <Layout>
          <Suspense fallback={<p className="hint">Loading…</p>}>
            <Switch>
              <Route path="/login">
                <Redirect to="/" />
              </Route>
              <Route path="/" component={OverviewPage} />
              <Route path="/clusters" component={ClustersPage} />
              <Route path="/account" component={AccountPage} />
              <Route path="/access" component={AccessPage} />
              <Route path="/audit" component={AuditPage} />
              <Route path="/settings/notifications" component={NotificationsPage} />
              <Route path="/sessions" component={SessionsPage} />
              <Route path="/join/:id">{(p) => <JoinShellPage sessionId={p.id} />}</Route>
              <Route path="/c/:cluster">{(p) => <Redirect to={`/c/${p.cluster}/workloads`} />}</Route>
              <Route path="/c/:cluster/workloads">{(p) => <WorkloadsPage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/w/:kind/:namespace/:name">
                {(p) => <WorkloadPage cluster={p.cluster} kind={p.kind} namespace={p.namespace} name={p.name} />}
              </Route>
              <Route path="/c/:cluster/pods">{(p) => <PodsPage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/pods/:namespace/:name">
                {(p) => <PodPage cluster={p.cluster} namespace={p.namespace} name={p.name} />}
              </Route>
              <Route path="/c/:cluster/shell/:namespace/:pod">
                {(p) => <ShellLinkPage cluster={p.cluster} namespace={p.namespace} pod={p.pod} />}
              </Route>
              <Route path="/c/:cluster/nodes">{(p) => <NodesPage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/nodes/:name">{(p) => <NodePage cluster={p.cluster} name={p.name} />}</Route>
              <Route path="/c/:cluster/o/:kind/:namespace/:name">
                {(p) => <ObjectPage cluster={p.cluster} kind={p.kind} namespace={p.namespace} name={p.name} />}
              </Route>
              <Route path="/c/:cluster/insights">{(p) => <InsightsPage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/top">{(p) => <TopPage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/timeline">{(p) => <TimelinePage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/edit">{(p) => <EditorPage cluster={p.cluster} />}</Route>
              <Route path="/c/:cluster/actions">{(p) => <CommandsPage cluster={p.cluster} />}</Route>
              <Route>
                <p className="empty">
                  No such page. <a href="/">What is broken now</a>
                </p>
              </Route>
            </Switch>
          </Suspense>
        </Layout>
      </ActionDialogHost>
    </ShellProvider>
  );
}
