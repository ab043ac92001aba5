// Issue 18: a Service's workloads — those whose pod template's labels hold its
// selector — asked of the hub (`?templateSelector=`) and matched in SQL, in both
// store dialects, over the real API. The items are the agent's own projections
// of Kubernetes objects (a CronJob's template sits in spec.jobTemplate.spec.template),
// and the hub must answer exactly what the console's rule (templateLabelsOf +
// selectorMatches, which it applies to the live feed) says.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { project, type KubeObject } from '@wheelhouse/agent';
import {
  TEMPLATE_KINDS,
  formatLabelSelector,
  selectorMatches,
  templateLabelsOf,
  type InventoryItem,
  type ResourceKind,
} from '@wheelhouse/protocol';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import type { Hub } from '../src/server.js';
import { useFastPasswordHashing, type TestUser } from './support/identity.js';
import { getAs, inventoryHub } from './support/inventory-hub.js';
import { planOf, recording } from './support/query-plans.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const SVC = { app: 'web', tier: 'front' };
const podSpec = { containers: [{ name: 'app', image: 'busybox' }] };
let n = 0;
/** A workload as Kubernetes has it: its own labels (never compared) and its pod template's. */
function workload(
  kind: ResourceKind,
  namespace: string,
  name: string,
  templateLabels: Record<string, string>,
  objectLabels: Record<string, string> = {},
): InventoryItem {
  const template = { metadata: { labels: templateLabels }, spec: podSpec };
  const spec: Record<string, unknown> =
    kind === 'CronJob'
      ? { schedule: '0 * * * *', jobTemplate: { spec: { template } } }
      : { replicas: 1, selector: { matchLabels: templateLabels }, template };
  const o: KubeObject = {
    metadata: {
      namespace,
      name,
      uid: `uid-${String(n++).padStart(3, '0')}`,
      resourceVersion: '1',
      creationTimestamp: new Date(1_700_000_000_000 + n * 1000).toISOString(),
      labels: objectLabels,
    },
    spec,
    status: {},
  };
  return project(kind, o);
}

const ITEMS: InventoryItem[] = [
  // Matching: the selector's labels and more in the template.
  workload('Deployment', 'ns-a', 'web', { ...SVC, version: 'v2' }),
  workload('Deployment', 'ns-a', 'web-canary', { ...SVC, track: 'canary' }),
  // Not matching: the object's own labels hold the selector, its template does not.
  workload('Deployment', 'ns-a', 'labelled-only', { app: 'other' }, SVC),
  // Not matching: half the selector; "web" under another key.
  workload('Deployment', 'ns-a', 'half', { app: 'web' }),
  workload('Deployment', 'ns-a', 'role-web', { role: 'web', tier: 'front' }),
  workload('StatefulSet', 'ns-a', 'db', SVC),
  workload('StatefulSet', 'ns-a', 'cache', { app: 'cache', tier: 'front' }),
  workload('DaemonSet', 'ns-a', 'agent', { ...SVC, 'app.kubernetes.io/name': 'shop' }),
  workload('Job', 'ns-a', 'migrate', SVC),
  // A CronJob's pod template is its job template's: matched there.
  workload('CronJob', 'ns-a', 'nightly', SVC),
  workload('CronJob', 'ns-a', 'weekly', { app: 'report' }, SVC),
  // The same templates in another namespace.
  workload('Deployment', 'ns-b', 'web', SVC),
  workload('Deployment', 'ns-b', 'api', { app: 'api', tier: 'front' }),
  workload('CronJob', 'ns-b', 'nightly', SVC),
  // Pods carrying the labels themselves: another kind.
  project('Pod', {
    metadata: { namespace: 'ns-a', name: 'web-1', uid: 'pod-1', resourceVersion: '1', labels: SVC },
    spec: podSpec,
    status: { phase: 'Running' },
  }),
];

/** The console's rule, applied to what the hub holds: the workloads of one kind and namespace it must answer. */
const expected = (kind: string, namespace: string, sel: Record<string, string>): string[] =>
  ITEMS.filter((i) => i.kind === kind && i.namespace === namespace && selectorMatches(sel, templateLabelsOf(i)))
    .map((i) => i.name)
    .sort();

describe.each(storeFactories)("a Service's workloads by its selector ($name store)", (factory) => {
  let hub: Hub;
  let admin: TestUser;
  let scoped: TestUser;
  beforeAll(async () => {
    ({ hub, admin, scoped } = await inventoryHub(factory, ITEMS));
  });
  afterAll(() => hub.close());

  const get = (user: TestUser, query: string) => getAs(hub, user, 'resources', query);
  /** The names of every page's items (pages of 1: the cursor must follow the filter). */
  const names = async (user: TestUser, query: string): Promise<string[]> => {
    const out: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res = await get(user, `${query}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const page = res.body as { items: InventoryItem[]; nextCursor: string | null };
      out.push(...page.items.map((it) => it.name));
      cursor = page.nextCursor;
      if (!cursor) return out.sort();
    }
    throw new Error('no end of pages');
  };

  it('answers only the workloads of that kind and namespace whose pod template holds the selector', async () => {
    const sel = 'templateSelector=app=web,tier=front';
    expect(await names(admin, `kind=Deployment&namespace=ns-a&${sel}`)).toEqual(['web', 'web-canary']);
    expect(await names(admin, `kind=StatefulSet&namespace=ns-a&${sel}`)).toEqual(['db']);
    expect(await names(admin, `kind=DaemonSet&namespace=ns-a&${sel}`)).toEqual(['agent']);
    expect(await names(admin, `kind=Job&namespace=ns-a&${sel}`)).toEqual(['migrate']);
    // The CronJob by its job template's pod template; the one labelled so on itself only is not.
    expect(await names(admin, `kind=CronJob&namespace=ns-a&${sel}`)).toEqual(['nightly']);
    // Another namespace's workloads with the same template stay out; its own are answered.
    expect(await names(admin, `kind=Deployment&namespace=ns-b&${sel}`)).toEqual(['web']);
    // A prefixed key ("." and "/"), and a selector nothing matches.
    expect(
      await names(admin, 'kind=DaemonSet&namespace=ns-a&templateSelector=app.kubernetes.io/name=shop,app=web'),
    ).toEqual(['agent']);
    const none = await get(admin, 'kind=Deployment&namespace=ns-a&templateSelector=app=web,tier=middle&count=true');
    expect(none.body).toMatchObject({ items: [], total: 0 });
    // Counted like any list.
    const counted = await get(admin, `kind=Deployment&namespace=ns-a&${sel}&count=true`);
    expect(counted.body).toMatchObject({ total: 2 });
  });

  it("agrees with the console's rule for any selector over the template labels held", async () => {
    const pairs = [...new Set(ITEMS.flatMap((i) => Object.entries(templateLabelsOf(i)).map((e) => e.join('='))))];
    const pair = fc.constantFrom(...pairs, 'app=nothing');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TEMPLATE_KINDS),
        fc.constantFrom('ns-a', 'ns-b'),
        fc.uniqueArray(pair, { minLength: 1, maxLength: 3, selector: (p) => p.split('=')[0] }),
        async (kind, namespace, terms) => {
          const sel = Object.fromEntries(terms.map((t) => t.split('=') as [string, string]));
          const got = await names(
            admin,
            `kind=${kind}&namespace=${namespace}&templateSelector=${formatLabelSelector(sel)}`,
          );
          expect(got).toEqual(expected(kind, namespace, sel));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps a namespace-scoped viewer to their namespace', async () => {
    expect(await names(scoped, 'kind=Deployment&namespace=ns-b&templateSelector=app=web')).toEqual(['web']);
    expect((await get(scoped, 'kind=Deployment&namespace=ns-a&templateSelector=app=web')).status).toBe(403);
  });

  it('follows a workload whose template changes to match or stops matching', async () => {
    const half = ITEMS.find((i) => i.name === 'half');
    const web = ITEMS.find((i) => i.name === 'web' && i.namespace === 'ns-a');
    if (!half || !web) throw new Error('items');
    const relabel = (it: InventoryItem, labels: Record<string, string>): InventoryItem =>
      project('Deployment', {
        metadata: { namespace: it.namespace, name: it.name, uid: it.uid, resourceVersion: '2' },
        spec: { replicas: 1, template: { metadata: { labels }, spec: podSpec } },
        status: {},
      });
    await hub.inventory.applyChanges('c1', [relabel(half, SVC), relabel(web, { app: 'web' })], []);
    try {
      expect(await names(admin, 'kind=Deployment&namespace=ns-a&templateSelector=app=web,tier=front')).toEqual([
        'half',
        'web-canary',
      ]);
    } finally {
      await hub.inventory.applyChanges('c1', [half, web], []);
    }
  });

  it('refuses bad input with the field named', async () => {
    const cases: [string, string][] = [
      ['namespace=ns-a&templateSelector=app=web', 'querystring.kind'],
      ['kind=Deployment&templateSelector=app=web', 'querystring.namespace'],
      // Pods are matched by their own labels (selector=); a ReplicaSet's item carries no template.
      ['kind=Pod&namespace=ns-a&templateSelector=app=web', 'querystring.kind'],
      ['kind=ReplicaSet&namespace=ns-a&templateSelector=app=web', 'querystring.kind'],
      ['kind=Service&namespace=ns-a&templateSelector=app=web', 'querystring.kind'],
      ...['', 'app!=web', 'app%20in%20(web)', '!app', 'app', 'app=-web', 'app=web,app=api', 'a%22b=c'].map(
        (sel): [string, string] => [
          `kind=Deployment&namespace=ns-a&templateSelector=${sel}`,
          'querystring.templateSelector',
        ],
      ),
    ];
    for (const [query, field] of cases) {
      const res = await get(admin, query);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ issues: [expect.objectContaining({ path: field }) as unknown] });
    }
  });

  // SQLite's own plan (PostgreSQL's planner has statistics): the namespace's workloads of the kind, not the
  // kind's age index walked over every namespace.
  if (factory.name === 'sqlite')
    it("seeks the namespace's index range for a template selector", async () => {
      const rec = recording(hub.db);
      const page = await new InventoryStore(rec.db).query('c1', {
        kind: 'Deployment',
        namespace: 'ns-a',
        templateSelector: SVC,
        sort: 'age',
        order: 'desc',
        limit: 100,
      });
      expect(page.items.map((i) => i.name).sort()).toEqual(['web', 'web-canary']);
      const plan = await planOf(hub.db, rec.statements[0]);
      expect(plan).toMatch(/USING (COVERING )?INDEX resources_by_\w+ \(cluster_id=\? AND kind=\? AND namespace=\?/);
      expect(plan).not.toContain('resources_by_age');
    });
});
