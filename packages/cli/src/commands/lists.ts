// The hub's own objects as lists: `cluster list`, `user list`, `token list`,
// with -o json|yaml|wide like every list.
import { Command } from 'commander';
import type { ClusterView } from '@wheelhouse/protocol';
import { callApi, resolveCredentials } from '../api-client.js';
import { withHubOptions } from '../hub-context.js';
import { ageOf, formatOf, isoTime, outputOption, printList, type Column } from '../output.js';

interface ListFlags {
  hub?: string;
  apiToken?: string;
  output?: string;
}

/** A `list` subcommand: GET a list, print its items. */
function listCommand<T>(opts: {
  description: string;
  path: string;
  columns: (now: number) => Column<T>[];
  empty: string;
}): Command {
  return withHubOptions(new Command('list').description(opts.description).addOption(outputOption())).action(
    async (o: ListFlags) => {
      const r = await callApi<{ items: T[] }>(resolveCredentials(o), 'GET', opts.path);
      printList({ items: r.items, columns: opts.columns(Date.now()), format: formatOf(o), empty: opts.empty });
    },
  );
}

export const clusterListCommand = (): Command =>
  listCommand<ClusterView>({
    description: 'list clusters with their connection state',
    path: '/api/v1/clusters',
    empty: 'No clusters you can see.',
    columns: (now) => [
      { header: 'NAME', cell: (c) => c.name },
      { header: 'CONNECTED', cell: (c) => (c.connected ? 'yes' : 'no') },
      { header: 'KUBERNETES', cell: (c) => c.kubernetesVersion ?? '-' },
      { header: 'AGENT', cell: (c) => c.agentVersion ?? '-' },
      {
        header: 'TIERS',
        cell: (c) =>
          Object.entries(c.capabilities)
            .filter(([, on]) => on)
            .map(([t]) => t)
            .join(',') || 'none',
      },
      { header: 'LAST SEEN', cell: (c) => ageOf(c.lastSeenAt, now), wide: true },
      { header: 'POD SECURITY', cell: (c) => c.podSecurity, wide: true },
      { header: 'TOKEN', cell: (c) => (c.tokenRevoked ? 'revoked' : 'valid'), wide: true },
      { header: 'CREATED BY', cell: (c) => c.createdBy, wide: true },
      { header: 'AGE', cell: (c) => ageOf(c.createdAt, now), wide: true },
    ],
  });

interface UserItem {
  id: string;
  username: string;
  createdAt: number;
  disabled: boolean;
  mustChangePassword: boolean;
  bindings?: { role: string; cluster: string; namespace: string }[];
}

export const userListCommand = (): Command =>
  listCommand<UserItem>({
    description: 'list users with their roles (needs admin)',
    path: '/api/v1/users',
    empty: 'No users.',
    columns: (now) => [
      { header: 'USERNAME', cell: (u) => u.username },
      {
        header: 'STATUS',
        cell: (u) => (u.disabled ? 'disabled' : u.mustChangePassword ? 'must-change-password' : 'active'),
      },
      {
        header: 'ROLES',
        cell: (u) => (u.bindings ?? []).map((b) => `${b.role}@${b.cluster}/${b.namespace}`).join(','),
      },
      { header: 'AGE', cell: (u) => ageOf(u.createdAt, now) },
      { header: 'ID', cell: (u) => u.id, wide: true },
      { header: 'CREATED', cell: (u) => isoTime(u.createdAt), wide: true },
    ],
  });

interface TokenItem {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

export const tokenListCommand = (): Command =>
  listCommand<TokenItem>({
    description: 'list your API tokens (never their secrets)',
    path: '/api/v1/tokens',
    empty: 'No API tokens.',
    columns: (now) => [
      { header: 'ID', cell: (t) => t.id },
      { header: 'NAME', cell: (t) => t.name },
      {
        header: 'STATUS',
        cell: (t) =>
          t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active',
      },
      { header: 'LAST USED', cell: (t) => (t.lastUsedAt === null ? 'never' : `${ageOf(t.lastUsedAt, now)} ago`) },
      { header: 'EXPIRES', cell: (t) => (t.expiresAt === null ? 'never' : isoTime(t.expiresAt)) },
      { header: 'AGE', cell: (t) => ageOf(t.createdAt, now) },
      { header: 'CREATED', cell: (t) => isoTime(t.createdAt), wide: true },
      { header: 'REVOKED', cell: (t) => isoTime(t.revokedAt), wide: true },
    ],
  });
