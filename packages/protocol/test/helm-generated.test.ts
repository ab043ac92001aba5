// The agent chart's RBAC file must be what the catalog generates: adding or
// changing an action without `npm run gen:helm` fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allTierCombinations, helmRbacFile, renderHelmRbac, tierKey } from '../src/gen-helm-rbac.js';
import { agentRbacRules, impersonationRbacRules, type PolicyRule } from '../src/rbac.js';

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
});
