// What the read commands (get, timeline, logs, audit, actions, lists) share:
// the hub flags, the cluster to ask about, and reading every page of a list.
import { Command, Option } from 'commander';
import { callApi, resolveCredentials, type HubCredentials } from './api-client.js';
import { CliError } from './exit-codes.js';

export interface HubFlags {
  hub?: string;
  apiToken?: string;
  cluster?: string;
}

/** --hub and --api-token (from the environment or `wheelhouse login` when left out). */
export function withHubOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--hub <url>', 'hub URL (default: `wheelhouse login`)').env('WHEELHOUSE_HUB_URL'))
    .addOption(
      new Option('--api-token <token>', 'API token (default: `wheelhouse login`)').env('WHEELHOUSE_API_TOKEN'),
    );
}

/** --cluster too, for commands about one cluster's objects. */
export function withClusterOptions(cmd: Command): Command {
  return withHubOptions(cmd).addOption(
    new Option('--cluster <name>', 'cluster (default: the only one you can see)').env('WHEELHOUSE_CLUSTER'),
  );
}

/** The named cluster, or the only one the caller can see. */
export async function pickCluster(creds: HubCredentials, flag?: string): Promise<string> {
  if (flag) return flag;
  const { items } = await callApi<{ items: { name: string }[] }>(creds, 'GET', '/api/v1/clusters');
  if (items.length === 1 && items[0]) return items[0].name;
  if (items.length === 0) throw new CliError('not_found', 'the hub has no clusters you can see');
  throw new CliError(
    'usage',
    `several clusters (${items.map((c) => c.name).join(', ')}): pick one with --cluster or WHEELHOUSE_CLUSTER`,
  );
}

export async function clusterContext(o: HubFlags): Promise<{ creds: HubCredentials; cluster: string }> {
  const creds = resolveCredentials(o);
  return { creds, cluster: await pickCluster(creds, o.cluster) };
}

/** A query string from the defined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Every item of a paged list (`{items, nextCursor}`), up to `max`: the API's
 * objects as they came, pages joined.
 */
export async function readPages<T>(
  creds: HubCredentials,
  path: string,
  params: Record<string, string | number | undefined>,
  opts: { pageSize: number; max?: number },
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const want = opts.max === undefined ? opts.pageSize : Math.min(opts.pageSize, opts.max - items.length);
    const page = await callApi<{ items: T[]; nextCursor?: string | number | null }>(
      creds,
      'GET',
      `${path}${query({ ...params, limit: want, cursor })}`,
    );
    items.push(...page.items);
    if (page.nextCursor === null || page.nextCursor === undefined || page.items.length === 0) return items;
    if (opts.max !== undefined && items.length >= opts.max) return items;
    cursor = String(page.nextCursor);
  }
}

/** `--since 1h` as the epoch ms it starts at. */
export function sinceToFrom(
  since: string | undefined,
  parse: (s: string) => number,
  now = Date.now(),
): number | undefined {
  if (since === undefined) return undefined;
  let ms: number;
  try {
    ms = parse(since);
  } catch (err) {
    throw new CliError('usage', `--since: ${err instanceof Error ? err.message : String(err)}`);
  }
  return now - ms;
}
