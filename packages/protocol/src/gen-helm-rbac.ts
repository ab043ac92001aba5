// Writes the agent chart's RBAC rules from the action catalog
// (deploy/helm/wheelhouse-agent/files/rbac.json): `npm run gen:helm`.
// A unit test fails when the committed file differs from what this renders,
// so an action added without regenerating cannot ship with stale RBAC.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTION_TIERS } from './tiers.js';
import {
  agentPermissions,
  agentRbacRules,
  describePermission,
  impersonationRbacRules,
  nodeShellRbacRules,
  onBehalfOfRbacRules,
  type TierSwitches,
} from './rbac.js';
import { actionList } from './actions/catalog.js';

/** The chart file's key for a tier combination; templates/_helpers.tpl builds the same string. */
export function tierKey(t: TierSwitches): string {
  return `basic=${String(t.basic)},advanced=${String(t.advanced)},podExec=${String(t.podExec)}`;
}

export function allTierCombinations(): TierSwitches[] {
  const out: TierSwitches[] = [];
  for (let i = 0; i < 2 ** ACTION_TIERS.length; i++)
    out.push({ basic: (i & 1) !== 0, advanced: (i & 2) !== 0, podExec: (i & 4) !== 0 });
  return out;
}

/** The file's exact text: one complete, merged rule list per tier combination (Helm cannot merge rules itself). */
export function renderHelmRbac(): string {
  const rules: Record<string, unknown> = {};
  for (const t of allTierCombinations()) rules[tierKey(t)] = agentRbacRules(t);
  const none = { basic: false, advanced: false, podExec: false };
  const byTier: Record<string, { actions: string[]; adds: string[] }> = {};
  const base = new Set(agentPermissions(none).map(describePermission));
  for (const tier of ACTION_TIERS) {
    const perms = agentPermissions({ ...none, [tier]: true }).map(describePermission);
    byTier[tier] = {
      actions: actionList()
        .filter((a) => a.tier === tier)
        .map((a) => a.id)
        .sort(),
      adds: perms.filter((p) => !base.has(p)),
    };
  }
  const doc = {
    generated: 'by `npm run gen:helm` from packages/protocol (the action catalog); do not edit',
    tiers: byTier,
    rules,
    impersonation: impersonationRbacRules(),
    onBehalfOf: onBehalfOfRbacRules(),
    // A Role in the node-shell namespace (actions.nodeShell), not part of the ClusterRole.
    nodeShell: nodeShellRbacRules(),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The chart's generated file, found by walking up from this module (it runs from src/ in tests and dist/src/ as a script). */
export function helmRbacFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const chart = join(dir, 'deploy', 'helm', 'wheelhouse-agent');
    if (existsSync(join(chart, 'Chart.yaml'))) return join(chart, 'files', 'rbac.json');
    const up = dirname(dir);
    if (up === dir) throw new Error('deploy/helm/wheelhouse-agent not found above this module');
    dir = up;
  }
}

// Run as a script (node packages/protocol/dist/src/gen-helm-rbac.js).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = helmRbacFile();
  writeFileSync(file, renderHelmRbac());
  process.stdout.write(`wrote ${file}\n`);
}
