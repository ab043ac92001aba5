// A StatefulSet's PersistentVolumeClaims asked of the hub by name (issue 18):
// each volumeClaimTemplate makes `<template>-<statefulset>-<ordinal>`, so the
// claims are those of the StatefulSet's namespace whose names start with
// `<template>-<statefulset>-` — the hub's name-prefix filter, one ordered seek
// over its name index — never the cluster's whole PVC list. A StatefulSet
// whose name the prefix also starts (web and web-canary) is told apart here
// by the ordinal. Kept live by the cluster's feed; a feed restart reads again.
import { useEffect, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItem, InventoryItemOf, Page } from '../api/types.js';
import { inventoryPageUrl } from '../start/first-requests.js';
import { clusterData } from './cluster-data.js';
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
  useEffect(() => {
    let ctrl = new AbortController();
    /** undefined while a read is out: the changes meanwhile wait in pending, applied over its answer. */
    let claims: Claim[] | undefined;
    let pending: [readonly InventoryItem[], readonly { kind: string; uid: string }[]][] = [];
    const apply = (
      held: Claim[],
      upserts: readonly InventoryItem[],
      deletes: readonly { kind: string; uid: string }[],
    ): Claim[] => {
      let next = held;
      for (const it of upserts) {
        if (it.kind !== 'PersistentVolumeClaim' || !isClaimOf(sts, it)) continue;
        next = [...next.filter((c) => c.uid !== it.uid), it].sort(byName);
      }
      for (const d of deletes)
        if (d.kind === 'PersistentVolumeClaim' && next.some((c) => c.uid === d.uid))
          next = next.filter((c) => c.uid !== d.uid);
      return next;
    };
    const read = (): void => {
      ctrl.abort();
      ctrl = new AbortController();
      const signal = ctrl.signal;
      claims = undefined;
      pending = [];
      readClaims(cluster, sts, signal).then(
        (found) => {
          if (signal.aborted) return;
          // What the feed said while the read was out is at least as new as its answer.
          let next = found;
          for (const [upserts, deletes] of pending) next = apply(next, upserts, deletes);
          claims = next;
          pending = [];
          setState({ claims: next, error: undefined });
        },
        (err: unknown) => {
          if (!signal.aborted) setState((s) => ({ ...s, error: errorText(err) }));
        },
      );
    };
    const data = clusterData(cluster);
    const offInv = data.onInventory((upserts, deletes) => {
      if (!claims) {
        pending.push([upserts, deletes]);
        return;
      }
      const next = apply(claims, upserts, deletes);
      if (next !== claims) {
        claims = next;
        setState((s) => ({ ...s, claims: next }));
      }
    });
    const offResync = data.onResync(read);
    read();
    return () => {
      ctrl.abort();
      offInv();
      offResync();
    };
    // sts is read through key: a status change of the StatefulSet does not read its claims again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cluster, key]);
  return state;
}
