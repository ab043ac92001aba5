// Group mapping: which role an identity provider's group grants on which
// (cluster pattern × namespace pattern). Pure, so the rules are testable
// without a provider; the OIDC service applies the result at each sign-in.
import { z } from 'zod';
import { Pattern, Role } from '../identity/identity-schemas.js';
import type { BuiltinRole } from '../auth/types.js';

/** One rule: members of `group` ('*': every SSO user) get `role` on (cluster, namespace). */
export const GroupMappingRule = z.strictObject({
  group: z.string().min(1).max(256),
  role: Role,
  cluster: Pattern.default('*'),
  namespace: Pattern.default('*'),
});
export type GroupMappingRule = z.infer<typeof GroupMappingRule>;
export const GroupMappingRules = z.array(GroupMappingRule).max(1000);

export interface MappedBinding {
  /** The group whose rule made the binding (the first, when several rules make the same one). */
  group: string;
  role: BuiltinRole;
  clusterPattern: string;
  namespacePattern: string;
}

/** The bindings a person in `groups` gets, one per distinct (role, cluster, namespace), in rule order. */
export function mappedBindings(rules: readonly GroupMappingRule[], groups: readonly string[]): MappedBinding[] {
  const member = new Set(groups);
  const seen = new Set<string>();
  const out: MappedBinding[] = [];
  for (const r of rules) {
    if (r.group !== '*' && !member.has(r.group)) continue;
    const key = `${r.role}\u0000${r.cluster}\u0000${r.namespace}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ group: r.group, role: r.role, clusterPattern: r.cluster, namespacePattern: r.namespace });
  }
  return out;
}

/**
 * Parses group mapping rules from JSON text (a file, an environment variable
 * or the chart's ConfigMap); the error names the source and each bad field.
 */
export function parseGroupMappings(text: string, source: string): GroupMappingRule[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = GroupMappingRules.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ');
    throw new Error(`${source}: invalid group mapping rules: ${issues}`);
  }
  return parsed.data;
}
