// Shells with impersonation off still say whose they are: the agent execs as
// itself with the person in the on-behalf-of extra (impersonation.ts
// onBehalfOfIdentity), so exec guard's badge, Events and eviction record name
// "alice via Wheelhouse (agent …)" instead of only the agent. This checks, at
// start, that the agent's RBAC allows it; without it shells run as the agent
// alone (as before) and the agent says what is missing.
import type { KubeClientConfig } from './kube-config.js';
import { canI, type ResourceAttributes } from './kube.js';
import { ON_BEHALF_OF_EXTRA, onBehalfOfIdentity } from './impersonation.js';

type Attributes = ResourceAttributes;

/** The SelfSubjectAccessReviews that impersonating `self` with the on-behalf-of extra needs. */
function neededFor(self: { username: string; groups: string[] }): { label: string; attrs: Attributes }[] {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(self.username);
  const id = onBehalfOfIdentity(self, 'probe');
  const out: { label: string; attrs: Attributes }[] = [
    {
      label: `impersonate authentication.k8s.io/userextras/${ON_BEHALF_OF_EXTRA}`,
      attrs: {
        verb: 'impersonate',
        group: 'authentication.k8s.io',
        resource: 'userextras',
        subresource: ON_BEHALF_OF_EXTRA,
      },
    },
  ];
  if (sa)
    out.push({
      label: `impersonate serviceaccounts/${sa[2]} in ${sa[1]}`,
      attrs: { verb: 'impersonate', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] },
    });
  else {
    out.push({
      label: `impersonate users/${self.username}`,
      attrs: { verb: 'impersonate', resource: 'users', name: self.username },
    });
    for (const g of id.groups)
      out.push({ label: `impersonate groups/${g}`, attrs: { verb: 'impersonate', resource: 'groups', name: g } });
  }
  return out;
}

/** The permissions the agent lacks to exec on behalf of people (empty: it has them all). */
export async function missingOnBehalfOfPermissions(
  kc: KubeClientConfig,
  self: { username: string; groups: string[] },
): Promise<string[]> {
  const missing: string[] = [];
  for (const { label, attrs } of neededFor(self)) {
    if (!(await canI(kc, attrs))) missing.push(label);
  }
  return missing;
}
