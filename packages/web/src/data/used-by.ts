// "Used by": which workloads and pods depend on a Service, ConfigMap or
// PersistentVolumeClaim, read from the workloads' pod templates (volumes,
// env, envFrom) and the pods' labels — and which claims a StatefulSet made.
import {
  isRecord,
  recordOf,
  recordsOf,
  selectorMatches,
  stringOrNull,
  templateLabelsOf,
  WORKLOAD_KINDS,
} from '@wheelhouse/protocol/core';
import type { InventoryItem, InventoryItemOf } from '../api/types.js';

export interface Ref {
  kind: string;
  namespace: string;
  name: string;
  /** How it uses the object ("volume data", "envFrom", "selector app=web"). */
  how: string;
}

const isWorkload = (it: InventoryItem): boolean => (WORKLOAD_KINDS as readonly string[]).includes(it.kind);

/** The pod template the agent keeps for a workload (summary.spec.template), as loose JSON. */
function templateOf(it: InventoryItem): Record<string, unknown> {
  const spec = 'spec' in it.summary && isRecord(it.summary.spec) ? it.summary.spec : {};
  return recordOf(spec.template);
}

/** How a pod template refers to a ConfigMap or a claim: volumes, env valueFrom and envFrom. */
function templateUses(template: Record<string, unknown>, kind: 'ConfigMap' | 'PersistentVolumeClaim', name: string) {
  const hows: string[] = [];
  for (const v of recordsOf(template.volumes)) {
    const ref =
      kind === 'ConfigMap'
        ? stringOrNull(recordOf(v.configMap).name)
        : stringOrNull(recordOf(v.persistentVolumeClaim).claimName);
    const projected = recordsOf(recordOf(v.projected).sources).some(
      (s) => kind === 'ConfigMap' && stringOrNull(recordOf(s.configMap).name) === name,
    );
    if (ref === name || projected) hows.push(`volume ${stringOrNull(v.name) ?? ''}`.trim());
  }
  if (kind === 'ConfigMap') {
    for (const c of [...recordsOf(template.containers), ...recordsOf(template.initContainers)]) {
      const cname = stringOrNull(c.name) ?? '';
      if (recordsOf(c.envFrom).some((e) => stringOrNull(recordOf(e.configMapRef).name) === name))
        hows.push(`envFrom in ${cname}`);
      for (const e of recordsOf(c.env)) {
        if (stringOrNull(recordOf(recordOf(e.valueFrom).configMapKeyRef).name) === name)
          hows.push(`env ${stringOrNull(e.name) ?? ''} in ${cname}`);
      }
    }
  }
  return hows;
}

/** Workloads whose pod template mounts or reads the ConfigMap or claim. */
export function workloadsUsing(
  items: readonly InventoryItem[],
  kind: 'ConfigMap' | 'PersistentVolumeClaim',
  namespace: string,
  name: string,
): Ref[] {
  const out: Ref[] = [];
  for (const it of items) {
    if (it.namespace !== namespace || !isWorkload(it) || it.kind === 'ReplicaSet') continue;
    // A Job a CronJob made is used through its CronJob; list the CronJob only.
    if (it.kind === 'Job' && it.ownerRefs.some((o) => o.kind === 'CronJob')) continue;
    const hows = templateUses(templateOf(it), kind, name);
    if (hows.length) out.push({ kind: it.kind, namespace, name: it.name, how: hows.join(', ') });
  }
  return out;
}

/** The StatefulSet whose volumeClaimTemplates made a claim (`<template>-<statefulset>-<ordinal>`). */
export function claimOwner(claim: string, statefulSets: readonly InventoryItemOf<'StatefulSet'>[]): Ref | undefined {
  for (const s of statefulSets) {
    for (const t of claimTemplatesOf(s)) {
      if (new RegExp(`^${escape(t)}-${escape(s.name)}-\\d+$`).test(claim))
        return { kind: 'StatefulSet', namespace: s.namespace, name: s.name, how: `volumeClaimTemplate ${t}` };
    }
  }
  return undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The names of a StatefulSet's volumeClaimTemplates (the agent keeps them in summary.spec). */
export function claimTemplatesOf(s: InventoryItemOf<'StatefulSet'>): string[] {
  const v = recordOf(s.summary.spec).volumeClaimTemplates;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Whether a claim is one a StatefulSet's volumeClaimTemplates made: `<template>-<statefulset>-<ordinal>`. */
export function isClaimOf(s: InventoryItemOf<'StatefulSet'>, c: InventoryItemOf<'PersistentVolumeClaim'>): boolean {
  return (
    c.namespace === s.namespace &&
    claimTemplatesOf(s).some((t) => new RegExp(`^${escape(t)}-${escape(s.name)}-\\d+$`).test(c.name))
  );
}

/** A StatefulSet's claims: the PVCs its volumeClaimTemplates made, by ordinal. */
export function claimsOf(
  s: InventoryItemOf<'StatefulSet'>,
  claims: readonly InventoryItemOf<'PersistentVolumeClaim'>[],
): InventoryItemOf<'PersistentVolumeClaim'>[] {
  return claims
    .filter((c) => isClaimOf(s, c))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** What a Service sends traffic to: the pods its selector matches, and the workloads that make them. */
export function serviceBackends(
  svc: InventoryItemOf<'Service'>,
  items: readonly InventoryItem[],
): { pods: InventoryItemOf<'Pod'>[]; workloads: Ref[] } {
  const selector = svc.summary.selector ?? {};
  if (Object.keys(selector).length === 0) return { pods: [], workloads: [] };
  const pods = items.filter(
    (i): i is InventoryItemOf<'Pod'> =>
      i.kind === 'Pod' && i.namespace === svc.namespace && selectorMatches(selector, i.labels),
  );
  const how = `selector ${Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;
  const workloads = items
    .filter(
      (i) =>
        i.namespace === svc.namespace &&
        isWorkload(i) &&
        i.kind !== 'ReplicaSet' &&
        i.kind !== 'Job' &&
        // The hub's templateSelector rule (a CronJob's template is its job template's).
        selectorMatches(selector, templateLabelsOf(i)),
    )
    .map((i) => ({ kind: i.kind, namespace: i.namespace, name: i.name, how }));
  return { pods, workloads };
}
