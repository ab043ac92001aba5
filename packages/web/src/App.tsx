// Routes of the console. Paths are real URLs (the hub answers index.html for
// any non-API path), so every page can be bookmarked and shared.
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { Layout } from './Layout.js';
import { SessionProvider, useSession } from './data/session.js';
import { AuditPage } from './pages/AuditPage.js';
import { ClustersPage } from './pages/ClustersPage.js';
import { CommandsPage } from './pages/CommandsPage.js';
import { EditorPage } from './pages/EditorPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { NodePage, NodesPage } from './pages/NodesPage.js';
import { PodPage, PodsPage } from './pages/PodsPage.js';
import { SessionsPage } from './pages/SessionsPage.js';
import { TimelinePage } from './pages/TimelinePage.js';
import { WorkloadPage } from './pages/WorkloadPage.js';
import { WorkloadsPage } from './pages/WorkloadsPage.js';
import { ShellProvider } from './shell/ShellProvider.js';
import { ActionDialogHost } from './ui/ActionDialogHost.js';

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
  if (!checked) return <p className="empty">Loading…</p>;
  if (!me || me.user.mustChangePassword) {
    return <LoginPage next={location === '/login' ? '/' : location} />;
  }
  return (
    <ShellProvider>
      <ActionDialogHost>
      <Layout>
        <Switch>
          <Route path="/login">
            <Redirect to="/" />
          </Route>
          <Route path="/" component={ClustersPage} />
          <Route path="/audit" component={AuditPage} />
          <Route path="/sessions" component={SessionsPage} />
          <Route path="/c/:cluster">{(p) => <Redirect to={`/c/${p.cluster}/workloads`} />}</Route>
          <Route path="/c/:cluster/workloads">{(p) => <WorkloadsPage cluster={p.cluster} />}</Route>
          <Route path="/c/:cluster/w/:kind/:namespace/:name">{(p) => <WorkloadPage cluster={p.cluster} kind={p.kind} namespace={p.namespace} name={p.name} />}</Route>
          <Route path="/c/:cluster/pods">{(p) => <PodsPage cluster={p.cluster} />}</Route>
          <Route path="/c/:cluster/pods/:namespace/:name">{(p) => <PodPage cluster={p.cluster} namespace={p.namespace} name={p.name} />}</Route>
          <Route path="/c/:cluster/nodes">{(p) => <NodesPage cluster={p.cluster} />}</Route>
          <Route path="/c/:cluster/nodes/:name">{(p) => <NodePage cluster={p.cluster} name={p.name} />}</Route>
          <Route path="/c/:cluster/timeline">{(p) => <TimelinePage cluster={p.cluster} />}</Route>
          <Route path="/c/:cluster/edit">{(p) => <EditorPage cluster={p.cluster} />}</Route>
          <Route path="/c/:cluster/actions">{(p) => <CommandsPage cluster={p.cluster} />}</Route>
          <Route>
            <p className="empty">No such page. <a href="/">Clusters</a></p>
          </Route>
        </Switch>
      </Layout>
      </ActionDialogHost>
    </ShellProvider>
  );
}
