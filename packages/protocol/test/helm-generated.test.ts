// The agent chart's RBAC file must be what the catalog generates: adding or
// changing an action without `npm run gen:helm` fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allTierCombinations, helmRbacFile, renderHelmRbac, tierKey } from '../src/gen-helm-rbac.js';
import {
  agentRbacRules,
  describePermission,
  impersonationRbacRules,
  nodeShellRbacRules,
  permissionsOf,
  type PolicyRule,
} from '../src/rbac.js';

describe('deploy/helm/wheelhouse-agent/files/rbac.json', () => {
  const committed = readFileSync(helmRbacFile(), 'utf8');

  it('is up to date with the action catalog (run `npm run gen:helm` if not)', () => {
    expect(
      committed === renderHelmRbac(),
      'files/rbac.json is stale: run `npm run gen:helm` and commit the result',
    ).toBe(true);
  });

  it('holds the rules of all 8 tier combinations and the impersonation rules', () => {
    const doc = JSON.parse(committed) as { rules: Record<string, PolicyRule[]>; impersonation: PolicyRule[] };
    const combos = allTierCombinations();
    expect(combos).toHaveLength(8);
    expect(Object.keys(doc.rules).sort()).toEqual(combos.map(tierKey).sort());
    for (const t of combos) expect(doc.rules[tierKey(t)]).toEqual(agentRbacRules(t));
    expect(doc.impersonation).toEqual(impersonationRbacRules());
  });

  it('gives node shells a Role of their own (create, exec, delete pods), never pod creation cluster-wide', () => {
    const doc = JSON.parse(committed) as { rules: Record<string, PolicyRule[]>; nodeShell: PolicyRule[] };
    expect(doc.nodeShell).toEqual(nodeShellRbacRules());
    expect(permissionsOf(doc.nodeShell).map(describePermission).sort()).toEqual([
      'create pods',
      'create pods/exec',
      'delete pods',
      'get pods',
      'get pods/exec',
      'list pods',
    ]);
    // Node shells add nothing to the ClusterRole: without the advanced tier (apply), the agent can create a pod
    // nowhere but in the node-shell namespace.
    for (const t of allTierCombinations().filter((c) => !c.advanced))
      expect(permissionsOf(doc.rules[tierKey(t)] ?? []).map(describePermission)).not.toContain('create pods');
  });
});
