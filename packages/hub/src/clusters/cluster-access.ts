// What the cluster-scoped routes (clusters, inventory, timeline, commands)
// share: the cluster name rule, paging parameters, "the cluster exists", and
// how a namespace becomes the scope a permission is checked on.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { canSomewhere } from '../auth/rbac.js';
import type { Principal, Scope } from '../auth/types.js';
import { notFound, requirePrincipal } from '../http/errors.js';
import type { ClusterStore, ClusterView } from './cluster-store.js';

export const clusterName = z
  .string()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lowercase letters, digits and "-", starting and ending with a letter or digit',
  );
export const ClusterParams = z.object({ cluster: clusterName });
export const limit = z.coerce.number().int().min(1).max(1000).default(100);
export const epochMs = z.coerce.number().int().min(0);

/**
 * The cluster a route names, or 404 — the same 404 whether it does not exist or
 * the caller cannot view anything in it (audited as a denial), so a cluster's
 * name never leaks through 403 vs 404. Call it before any other check that
 * could answer differently for an existing cluster (400s on the body included).
 */
export async function requireVisibleCluster(
  app: FastifyInstance,
  req: FastifyRequest,
  clusters: ClusterStore,
  name: string,
): Promise<ClusterView> {
  const principal = requirePrincipal<Principal>(req);
  if (!clusterVisible(principal, name)) await app.requirePermission(req, 'view', { cluster: name });
  return requireCluster(clusters, name);
}

/** The cluster, or 404 (routes call requireVisibleCluster; this is for callers that checked already). */
export async function requireCluster(clusters: ClusterStore, name: string): Promise<ClusterView> {
  const c = await clusters.get(name);
  if (!c) throw notFound(`cluster "${name}"`);
  return c;
}

/** The scope of an object: cluster-wide for cluster-scoped kinds (namespace ''). */
export function scopeOf(cluster: string, namespace: string | undefined): Scope {
  return namespace ? { cluster, namespace } : { cluster };
}

/**
 * Whether the principal may see the cluster at all: some binding lets them view
 * it, cluster-wide or in some namespace (a namespace-scoped viewer still lists
 * the cluster and the objects of their namespaces).
 */
export function clusterVisible(principal: Principal, cluster: string): boolean {
  return canSomewhere(principal.bindings, 'view', { cluster });
}
