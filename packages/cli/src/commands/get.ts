// `wheelhouse get <kind> [name…] [-n NS | -A] [-l selector] [-o json|yaml|wide]`:
// the hub's inventory like `kubectl get`, for every kind it keeps.
import { Command } from 'commander';
import { RESOURCE_KINDS, type InventoryItem, type ResourceKind } from '@wheelhouse/protocol';
import { columnsOf } from '../get-columns.js';
import { CliError } from '../exit-codes.js';
import { clusterContext, readPages, withClusterOptions, type HubFlags } from '../hub-context.js';
import { parseKindName, resolveKind } from '../kinds.js';
import { parseSelector } from '../label-selector.js';
import { formatOf, outputOption, printList, renderData, type Column } from '../output.js';
import type { HubCredentials } from '../api-client.js';

export interface GetFlags extends HubFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  output?: string;
}

/** The namespace a command means: -n, then $WHEELHOUSE_NAMESPACE, then "default" (like kubectl). */
export const namespaceOf = (o: { namespace?: string }): string =>
  o.namespace ?? process.env.WHEELHOUSE_NAMESPACE ?? 'default';

/** Inventory items of a kind (in a namespace, or everywhere), optionally by name. */
export function readInventory(
  creds: HubCredentials,
  cluster: string,
  q: { kind: ResourceKind; namespace?: string; name?: string },
): Promise<InventoryItem[]> {
  return readPages<InventoryItem>(creds, `/api/v1/clusters/${encodeURIComponent(cluster)}/resources`, q, {
    pageSize: 1000,
  });
}

/** `get po web-1 web-2`, `get po/web-1`, `get pods`: the kind and the names asked for. */
function parseArgs(first: string, rest: readonly string[]): { kind: ResourceKind; names: string[] } {
  if (first.includes('/')) {
    const { kind, name } = parseKindName(first);
    for (const r of rest)
      if (!r.includes('/')) throw new CliError('usage', `"${r}": after ${first}, give kind/name too`);
    const more = rest.map(parseKindName);
    const other = more.find((m) => m.kind !== kind);
    if (other) throw new CliError('usage', `one kind at a time: ${kind} and ${other.kind}`);
    return { kind, names: [name, ...more.map((m) => m.name)] };
  }
  return { kind: resolveKind(first), names: [...rest] };
}

export function getCommand(): Command {
  return withClusterOptions(
    new Command('get')
      .description(
        'list objects of a kind from the inventory, like kubectl get (kinds: pods/po, deploy, sts, ds, rs, job, cj, no, ns, svc, cm, pvc, ing, hpa, pdb)',
      )
      .argument('<kind>', 'kind (po, deploy, svc, …) or kind/name')
      .argument('[names...]', 'names to show (default: all)')
      .option('-n, --namespace <ns>', 'namespace (default: $WHEELHOUSE_NAMESPACE or "default")')
      .option('-A, --all-namespaces', 'every namespace you may view')
      .option('-l, --selector <selector>', 'label selector: app=web, tier!=db, app in (a,b), !canary')
      .addOption(outputOption()),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  wheelhouse get po -n shop\n  wheelhouse get deploy -A -o wide\n  wheelhouse get po/web-1 -n shop -o yaml\n',
    )
    .action(async (first: string, rest: string[], o: GetFlags) => {
      const { kind, names } = parseArgs(first, rest);
      const format = formatOf(o);
      const namespaced = RESOURCE_KINDS[kind].namespaced;
      if (o.allNamespaces && o.namespace) throw new CliError('usage', 'use -n or -A, not both');
      const namespace = namespaced && !o.allNamespaces ? namespaceOf(o) : undefined;
      const test = o.selector === undefined ? undefined : parseSelector(o.selector);
      const { creds, cluster } = await clusterContext(o);

      let items: InventoryItem[] = [];
      const missing: string[] = [];
      if (names.length === 0)
        items = await readInventory(creds, cluster, { kind, ...(namespace ? { namespace } : {}) });
      else
        for (const name of names) {
          const found = await readInventory(creds, cluster, { kind, name, ...(namespace ? { namespace } : {}) });
          if (found.length === 0) missing.push(name);
          items.push(...found);
        }
      if (test) items = items.filter((i) => test(i.labels));

      const where = namespace ? ` in namespace "${namespace}"` : '';
      if (names.length === 1 && items.length === 1 && (format === 'json' || format === 'yaml'))
        process.stdout.write(renderData(items[0], format));
      else if (!(names.length > 0 && items.length === 0)) {
        const columns = columnsOf(kind, Date.now());
        const withNs: Column<InventoryItem>[] =
          namespaced && o.allNamespaces ? [{ header: 'NAMESPACE', cell: (i) => i.namespace }, ...columns] : columns;
        printList({
          items,
          columns: withNs,
          format,
          empty: namespace ? `No resources found in ${namespace} namespace.` : 'No resources found.',
        });
      }
      if (missing.length)
        throw new CliError(
          'not_found',
          missing.map((n) => `${kind} "${n}" not found${where} (cluster ${cluster})`).join('; '),
          { kind, names: missing, ...(namespace ? { namespace } : {}), cluster },
        );
    });
}
