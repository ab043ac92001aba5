// The inventory kinds by the names people type: kubectl's short names,
// singulars and plurals in any case (po, pods, Pod; deploy, deployments).
import { RESOURCE_KINDS, RESOURCE_KIND_NAMES, type ResourceKind } from '@wheelhouse/protocol';
import { CliError } from './exit-codes.js';

/** kubectl's short names of the inventory kinds. */
export const SHORT_NAMES: Record<ResourceKind, string | undefined> = {
  Namespace: 'ns',
  Node: 'no',
  Pod: 'po',
  Service: 'svc',
  ConfigMap: 'cm',
  PersistentVolumeClaim: 'pvc',
  Deployment: 'deploy',
  ReplicaSet: 'rs',
  StatefulSet: 'sts',
  DaemonSet: 'ds',
  Job: undefined,
  CronJob: 'cj',
  Ingress: 'ing',
  HorizontalPodAutoscaler: 'hpa',
  PodDisruptionBudget: 'pdb',
};

const BY_NAME = new Map<string, ResourceKind>();
for (const kind of RESOURCE_KIND_NAMES) {
  BY_NAME.set(kind.toLowerCase(), kind);
  BY_NAME.set(RESOURCE_KINDS[kind].plural, kind);
  const short = SHORT_NAMES[kind];
  if (short) BY_NAME.set(short, kind);
}

/** Every name a kind answers to, for completion: short name first, then the plural and the kind. */
export function kindWords(): string[] {
  return RESOURCE_KIND_NAMES.flatMap((k) => [SHORT_NAMES[k], RESOURCE_KINDS[k].plural, k.toLowerCase()]).filter(
    (w): w is string => w !== undefined,
  );
}

export function lookupKind(word: string): ResourceKind | undefined {
  return BY_NAME.get(word.toLowerCase());
}

/** The kind a word names, or a usage error listing the kinds. */
export function resolveKind(word: string): ResourceKind {
  const kind = lookupKind(word);
  if (kind) return kind;
  const known = RESOURCE_KIND_NAMES.map((k) =>
    SHORT_NAMES[k] ? `${RESOURCE_KINDS[k].plural} (${SHORT_NAMES[k]})` : RESOURCE_KINDS[k].plural,
  );
  throw new CliError('usage', `unknown kind "${word}"; kinds: ${known.join(', ')} (Secrets are never read)`);
}

/** `kind/name` (deploy/web, pods/web-1). */
export function parseKindName(spec: string): { kind: ResourceKind; name: string } {
  const i = spec.indexOf('/');
  if (i <= 0 || i === spec.length - 1)
    throw new CliError('usage', `"${spec}" must be <kind>/<name>, e.g. deployment/web or po/web-1`);
  return { kind: resolveKind(spec.slice(0, i)), name: spec.slice(i + 1) };
}
