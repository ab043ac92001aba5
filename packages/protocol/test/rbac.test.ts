import { describe, expect, it } from 'vitest';
import { ACTIONS, actionList } from '../src/actions/catalog.js';
import type { ActionDeclaration } from '../src/actions/declaration.js';
import { RESOURCE_KINDS } from '../src/kinds.js';
import {
  actionPermissions,
  agentPermissions,
  agentRbacRules,
  describePermission,
  permissionsOf,
  readOnlyPermissions,
  rulesOf,
  type Permission,
  type TierSwitches,
} from '../src/rbac.js';
import { allTierCombinations } from '../src/gen-helm-rbac.js';

const NONE: TierSwitches = { basic: false, advanced: false, podExec: false };
const key = (p: Permission): string => describePermission(p);
const perms = (group: string, resources: string[], verbs: string[]): Permission[] =>
  resources.flatMap((resource) => verbs.map((verb) => ({ apiGroup: group, resource, verb })));

// REFERENCE.md, "Opt-in tiers and the agent permissions they need": the union of both tiers.
const REFERENCE_RULES: Permission[] = [
  ...perms('apps', ['deployments/scale', 'statefulsets/scale'], ['patch']),
  ...perms('apps', ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], ['patch']),
  ...perms('', ['pods'], ['delete']),
  ...perms('batch', ['jobs'], ['delete', 'create']),
  ...perms(
    '',
    ['pods', 'persistentvolumeclaims', 'configmaps', 'services', 'persistentvolumes'],
    ['delete', 'patch', 'update', 'create'],
  ),
  ...perms('storage.k8s.io', ['storageclasses'], ['delete', 'patch', 'update', 'create']),
  ...perms(
    'apps',
    ['replicasets', 'deployments', 'statefulsets', 'daemonsets'],
    ['delete', 'patch', 'update', 'create'],
  ),
  ...perms('batch', ['cronjobs', 'jobs'], ['delete', 'patch', 'update', 'create']),
  ...perms('networking.k8s.io', ['ingresses', 'networkpolicies'], ['delete', 'patch', 'update', 'create']),
  ...perms('', ['nodes'], ['patch']),
  ...perms('', ['pods/eviction'], ['create']),
];

/**
 * Where we grant less than the reference product, on purpose (least privilege):
 * each entry says why. The test checks these stay ungranted, so widening the
 * catalog later means deleting the entry here too.
 */
const DELIBERATELY_NARROWER: { matches: (p: Permission) => boolean; why: string }[] = [
  {
    matches: (p) => p.verb === 'update',
    why: 'edits are server-side apply and merge patches (verb patch); no executor issues PUT',
  },
  {
    matches: (p) => ['persistentvolumes', 'networkpolicies'].includes(p.resource) || p.apiGroup === 'storage.k8s.io',
    why: 'not an inventory kind: the hub cannot target it, so no action acts on it',
  },
];

/** The actions and, per action, what its declaration must at least grant. */
const EXPECTED: Record<string, Permission[]> = {
  scale: perms('apps', ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], ['patch']),
  restart: perms('apps', ['deployments', 'statefulsets', 'daemonsets'], ['patch']),
  rollback: perms('apps', ['deployments'], ['patch']),
  'delete-pod': perms('', ['pods'], ['delete']),
  'force-delete-pod': perms('', ['pods'], ['delete']),
  'trigger-job': perms('batch', ['jobs'], ['create']),
  cordon: perms('', ['nodes'], ['patch']),
  uncordon: perms('', ['nodes'], ['patch']),
  drain: [...perms('', ['nodes'], ['patch']), ...perms('', ['pods/eviction'], ['create'])],
  apply: [
    ...perms('', ['pods', 'services', 'configmaps', 'persistentvolumeclaims'], ['create', 'patch']),
    ...perms('apps', ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], ['create', 'patch']),
    ...perms('batch', ['jobs', 'cronjobs'], ['create', 'patch']),
    ...perms('networking.k8s.io', ['ingresses'], ['create', 'patch']),
  ],
  delete: [
    ...perms('', ['pods', 'services', 'configmaps', 'persistentvolumeclaims'], ['delete']),
    ...perms('apps', ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], ['delete']),
    ...perms('batch', ['jobs', 'cronjobs'], ['delete']),
    ...perms('networking.k8s.io', ['ingresses'], ['delete']),
  ],
};
const EXPECTED_TIER: Record<string, 'basic' | 'advanced'> = {
  scale: 'basic',
  restart: 'basic',
  rollback: 'basic',
  'delete-pod': 'basic',
  'trigger-job': 'basic',
  'force-delete-pod': 'advanced',
  cordon: 'advanced',
  uncordon: 'advanced',
  drain: 'advanced',
  apply: 'advanced',
  delete: 'advanced',
};

describe('agentRbacRules', () => {
  it('is read-only when no tier is on: get/list/watch of every watched kind and events, plus the self-checks', () => {
    const granted = permissionsOf(agentRbacRules(NONE));
    const writes = granted.filter((p) => !['get', 'list', 'watch'].includes(p.verb));
    expect(writes.map(key)).toEqual([
      'create authentication.k8s.io/selfsubjectreviews',
      'create authorization.k8s.io/selfsubjectaccessreviews',
      'create authorization.k8s.io/selfsubjectrulesreviews',
    ]);
    for (const k of [...Object.values(RESOURCE_KINDS), { group: '', plural: 'events' }]) {
      for (const verb of ['get', 'list', 'watch'])
        expect(granted.map(key)).toContain(key({ apiGroup: k.group, resource: k.plural, verb }));
    }
  });

  it('never grants anything on secrets, in any tier combination', () => {
    for (const t of allTierCombinations()) {
      for (const r of agentRbacRules(t)) {
        expect(r.resources.some((res) => res === '*' || res.startsWith('secrets'))).toBe(false);
        expect(r.apiGroups).not.toContain('*');
        expect(r.verbs).not.toContain('*');
      }
    }
  });

  it('adds exactly the declared writes of the enabled tiers', () => {
    for (const t of allTierCombinations()) {
      const expected = new Set(
        [
          ...readOnlyPermissions(),
          ...actionList()
            .filter((a) => t[a.tier])
            .flatMap(actionPermissions),
        ].map(key),
      );
      if (t.podExec)
        for (const k of ['create pods/exec', 'get pods/exec', 'create pods/portforward', 'get pods/portforward'])
          expected.add(k);
      expect(permissionsOf(agentRbacRules(t)).map(key)).toEqual(
        [...expected].sort((a, b) => a.localeCompare(b)).sort(byPermissionOrder(agentPermissions(t))),
      );
    }
  });

  it('is deterministic, sorted, merged and deduplicated', () => {
    const all = { basic: true, advanced: true, podExec: true };
    const rules = agentRbacRules(all);
    expect(agentRbacRules(all)).toEqual(rules);
    // Reversing the catalog's order changes nothing.
    expect(agentRbacRules(all, [...actionList()].reverse())).toEqual(rules);
    const seen = new Set<string>();
    for (const r of rules) {
      expect(r.resources).toEqual([...r.resources].sort());
      expect(r.verbs).toEqual([...new Set(r.verbs)].sort());
      for (const p of permissionsOf([r])) {
        expect(seen.has(key(p)), `${key(p)} appears in two rules`).toBe(false);
        seen.add(key(p));
      }
    }
    // One rule per (group, verb set).
    const groupVerbs = rules.map((r) => `${r.apiGroups.join()}|${r.verbs.join()}`);
    expect(new Set(groupVerbs).size).toBe(groupVerbs.length);
  });

  it('merges resources with the same verbs and keeps subresources apart', () => {
    const rules = rulesOf([
      { apiGroup: 'apps', resource: 'deployments/scale', verb: 'patch' },
      { apiGroup: 'apps', resource: 'deployments', verb: 'patch' },
      { apiGroup: 'apps', resource: 'deployments', verb: 'get' },
      { apiGroup: 'apps', resource: 'statefulsets', verb: 'get' },
      { apiGroup: 'apps', resource: 'statefulsets', verb: 'patch' },
    ]);
    expect(rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] },
    ]);
  });

  it('podExec adds pods/exec and pods/portforward create and get (WebSocket GETs) and pods get only', () => {
    const without = new Set(agentPermissions({ basic: true, advanced: true, podExec: false }).map(key));
    const withExec = agentPermissions({ basic: true, advanced: true, podExec: true }).map(key);
    const podExecActions = actionList()
      .filter((a) => a.tier === 'podExec')
      .flatMap(actionPermissions)
      .map(key);
    // The shell's exec and port-forward (each WebSocket is a GET), and whatever the podExec actions declare (the diagnostics snapshot: exec too).
    const shell = ['create pods/exec', 'get pods/exec', 'create pods/portforward', 'get pods/portforward'];
    const added = withExec.filter((p) => !without.has(p));
    expect(added).toEqual(expect.arrayContaining(shell));
    expect(added.filter((p) => !shell.includes(p) && !podExecActions.includes(p))).toEqual([]);
    expect(withExec).toContain('get pods');
  });

  it('a synthetic action is granted only when its tier is on', () => {
    const probe: ActionDeclaration = {
      id: 'probe',
      title: 'Probe',
      description: '',
      tier: 'basic',
      targetKinds: ['Deployment'],
      params: ACTIONS.annotate.params,
      permissions: [{ apiGroup: 'example.com', resource: 'widgets/status', verbs: ['update', 'patch'] }],
    };
    expect(permissionsOf(agentRbacRules({ ...NONE, basic: true }, [probe])).map(key)).toContain(
      'update example.com/widgets/status',
    );
    expect(permissionsOf(agentRbacRules({ ...NONE, advanced: true }, [probe])).map(key)).not.toContain(
      'update example.com/widgets/status',
    );
  });
});

describe('the catalog against REFERENCE.md', () => {
  it('declares every action the issue lists, in its tier', () => {
    for (const [id, tier] of Object.entries(EXPECTED_TIER)) {
      const decl = actionList().find((a) => a.id === id);
      expect(decl, `action "${id}" is not in the catalog`).toBeDefined();
      expect(decl?.tier, `action "${id}"`).toBe(tier);
    }
  });

  for (const [id, needed] of Object.entries(EXPECTED)) {
    it(`${id}: its declaration grants what its executor needs`, () => {
      const decl = actionList().find((a) => a.id === id);
      if (!decl) throw new Error(`action "${id}" is not declared yet`);
      const declared = new Set(actionPermissions(decl).map(key));
      const missing = needed.map(key).filter((p) => !declared.has(p));
      expect(missing, `action "${id}" does not declare: ${missing.join(', ')}`).toEqual([]);
    });
  }

  it('basic+advanced cover every rule REFERENCE.md lists, except the documented narrowings', () => {
    const granted = new Set(agentPermissions({ basic: true, advanced: true, podExec: false }).map(key));
    const uncovered = REFERENCE_RULES.filter(
      (p) => !granted.has(key(p)) && !DELIBERATELY_NARROWER.some((n) => n.matches(p)),
    );
    expect(uncovered.map(key), 'REFERENCE rules no tier grants').toEqual([]);
    // A narrowing that no longer holds must be removed from the list above.
    const widened = REFERENCE_RULES.filter(
      (p) => granted.has(key(p)) && DELIBERATELY_NARROWER.some((n) => n.matches(p)),
    );
    expect(widened.map(key)).toEqual([]);
  });

  it('the shell and port-forward rules come with podExec', () => {
    expect(agentPermissions({ ...NONE, podExec: true }).map(key)).toContain('create pods/exec');
    expect(agentPermissions({ ...NONE, podExec: true }).map(key)).toEqual(
      expect.arrayContaining(['create pods/portforward', 'get pods/portforward']),
    );
    expect(agentPermissions({ basic: true, advanced: true, podExec: false }).map(key)).not.toContain(
      'create pods/portforward',
    );
    expect(agentPermissions({ basic: true, advanced: true, podExec: false }).map(key)).not.toContain(
      'create pods/exec',
    );
  });

  it('basic alone grants no node writes and no creates outside jobs', () => {
    const basic = agentPermissions({ ...NONE, basic: true }).filter((p) => !['get', 'list', 'watch'].includes(p.verb));
    expect(basic.filter((p) => p.resource === 'nodes').map(key)).toEqual([]);
  });
});

function byPermissionOrder(order: Permission[]): (a: string, b: string) => number {
  const idx = new Map(order.map((p, i) => [key(p), i]));
  return (a, b) => (idx.get(a) ?? -1) - (idx.get(b) ?? -1);
}
