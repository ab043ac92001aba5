// A StatefulSet's PersistentVolumeClaims asked of the hub by name (issue 18):
// each volumeClaimTemplate makes `<template>-<statefulset>-<ordinal>`, so the
// claims are those of the StatefulSet's namespace whose names start with
// `<template>-<statefulset>-` — the hub's name-prefix filter, one ordered seek
// over its name index — never the cluster's whole PVC list. A StatefulSet
// whose name the prefix also starts (web and web-canary) is told apart here
// by the ordinal. Kept live by the cluster's feed (read-and-follow.ts).
import { useEffect, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItem, InventoryItemOf, Page } from '../api/types.js';
import { inventoryPageUrl } from '../start/first-requests.js';
import { readAndFollow } from './read-and-follow.js';
import { claimTemplatesOf, isClaimOf } from './used-by.js';

type Claim = InventoryItemOf<'PersistentVolumeClaim'>;

export interface StatefulSetClaims {
  /** By name (ordinals in numeric order); undefined until first read. */
  claims: Claim[] | undefined;
  error: string | undefined;
}

const byName = (a: Claim, b: Claim): number => a.name.localeCompare(b.name, undefined, { numeric: true });

/** Every claim whose name starts with one of the StatefulSet's template prefixes. */
async function readClaims(cluster: string, sts: InventoryItemOf<'StatefulSet'>, signal: AbortSignal): Promise<Claim[]> {
  const found: Claim[] = [];
  for (const t of claimTemplatesOf(sts)) {
    let cursor: string | null = null;
    do {
      const params = {
        kind: 'PersistentVolumeClaim',
        namespace: sts.namespace,
        prefix: `${t}-${sts.name}-`,
        sort: 'name' as const,
        order: 'asc' as const,
      };
      const page: Page<InventoryItem> = await api<Page<InventoryItem>>(
        inventoryPageUrl(cluster, params, cursor, 1000, false),
        { signal },
      );
      for (const it of page.items) if (it.kind === 'PersistentVolumeClaim' && isClaimOf(sts, it)) found.push(it);
      cursor = page.nextCursor === null ? null : String(page.nextCursor);
    } while (cursor !== null);
  }
  return found.sort(byName);
}

export function useStatefulSetClaims(cluster: string, sts: InventoryItemOf<'StatefulSet'>): StatefulSetClaims {
  const [state, setState] = useState<StatefulSetClaims>({ claims: undefined, error: undefined });
  // The claims depend on the namespace, the name and the templates only (not the status a change brings).
  const key = JSON.stringify([sts.namespace, sts.name, claimTemplatesOf(sts)]);
  useEffect(
    () =>
      readAndFollow<Claim[]>(cluster, {
        read: (signal) => readClaims(cluster, sts, signal),
        apply: (held, upserts, deletes) => {
          let next = held;
          for (const it of upserts) {
            if (it.kind !== 'PersistentVolumeClaim' || !isClaimOf(sts, it)) continue;
            next = [...next.filter((c) => c.uid !== it.uid), it].sort(byName);
          }
          for (const d of deletes)
            if (d.kind === 'PersistentVolumeClaim' && next.some((c) => c.uid === d.uid))
              next = next.filter((c) => c.uid !== d.uid);
          return next;
        },
        show: (claims) => setState({ claims, error: undefined }),
        fail: (err) => setState((s) => ({ ...s, error: errorText(err) })),
      }),
    // sts is read through key: a status change of the StatefulSet does not read its claims again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [cluster, key],
  );
  return state;
}
