// The inventory kinds by the names people type (the protocol's kindFromAlias:
// kubectl's short names, singulars and plurals in any case), with CLI errors.
import {
  KIND_SHORT_NAMES,
  RESOURCE_KINDS,
  RESOURCE_KIND_NAMES,
  kindFromAlias,
  type ResourceKind,
} from '@wheelhouse/protocol';
import { CliError } from './exit-codes.js';

/** Every name a kind answers to, for completion: short names first, then the plural and the kind. */
export function kindWords(): string[] {
  return RESOURCE_KIND_NAMES.flatMap((k) => [...KIND_SHORT_NAMES[k], RESOURCE_KINDS[k].plural, k.toLowerCase()]);
}

export const lookupKind = (word: string): ResourceKind | undefined => kindFromAlias(word);

/** The kind a word names, or a usage error listing the kinds. */
export function resolveKind(word: string): ResourceKind {
  const kind = lookupKind(word);
  if (kind) return kind;
  const known = RESOURCE_KIND_NAMES.map((k) =>
    KIND_SHORT_NAMES[k].length
      ? `${RESOURCE_KINDS[k].plural} (${KIND_SHORT_NAMES[k].join(', ')})`
      : RESOURCE_KINDS[k].plural,
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
