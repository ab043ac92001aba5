// The agent's permission self-check: at start, for every action whose tier is
// enabled, ask the API server (SelfSubjectAccessReview, cluster-wide) whether
// each permission its declaration needs is granted, and report what is missing
// per action — so the hub can show "needs patch apps/deployments/scale" instead
// of an action failing later with a 403.
import type { KubeClientConfig } from './kube-config.js';
import { canI } from './kube.js';
import { actionList, type ActionDeclaration, type Capabilities } from '@wheelhouse/protocol';

interface Check {
  group: string;
  resource: string;
  subresource: string;
  verb: string;
  /** "patch apps/deployments/scale": how it is reported. */
  label: string;
}

/** Reviews in flight at once: enough to be quick, few enough not to load a small API server. */
const CONCURRENCY = 8;

function checksOf(decl: Pick<ActionDeclaration, 'permissions'>): Check[] {
  return decl.permissions.flatMap((p) => {
    const [resource = '', subresource = ''] = p.resource.split('/', 2);
    return p.verbs.map((verb) => ({
      group: p.apiGroup,
      resource,
      subresource,
      verb,
      label: `${verb} ${p.apiGroup === '' ? '' : `${p.apiGroup}/`}${p.resource}`,
    }));
  });
}

/**
 * Per action id (enabled tiers only), the permissions the agent's identity
 * lacks, as readable strings like "patch apps/deployments/scale". Actions with
 * everything granted are absent, so a fully permitted agent returns {}.
 */
export async function checkActionPermissions(
  kc: KubeClientConfig,
  capabilities: Capabilities,
  actions: readonly ActionDeclaration[] = actionList(),
): Promise<Record<string, string[]>> {
  const enabled = actions.filter((a) => capabilities[a.tier]);
  const perAction = new Map(enabled.map((a) => [a.id, checksOf(a)] as const));
  // Many actions share permissions: ask once per distinct one.
  const unique = new Map<string, Check>();
  for (const checks of perAction.values()) for (const c of checks) unique.set(c.label, c);

  const allowed = new Map<string, boolean>();
  const queue = [...unique.values()];
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const ok = await canI(kc, {
        group: c.group,
        resource: c.resource,
        verb: c.verb,
        ...(c.subresource ? { subresource: c.subresource } : {}),
      });
      allowed.set(c.label, ok);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));

  const missing: Record<string, string[]> = {};
  for (const [id, checks] of perAction) {
    const lacking = [...new Set(checks.filter((c) => allowed.get(c.label) !== true).map((c) => c.label))].sort();
    if (lacking.length) missing[id] = lacking;
  }
  return missing;
}
