// A readable diff of two JSON values: one entry per changed leaf, with paths
// like `template.containers[app].image`. Lists of named items (containers,
// env vars, ports) are matched by name, so reordering is not a change and an
// image bump reads as one line, not a shuffled array.
import type { FieldChange, JsonValue } from '@wheelhouse/protocol';

type J = JsonValue | undefined;

const isObject = (v: J): v is { [k: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

function namedItems(v: JsonValue[]): Map<string, JsonValue> | null {
  const map = new Map<string, JsonValue>();
  for (const item of v) {
    if (!isObject(item) || typeof item.name !== 'string' || map.has(item.name)) return null;
    map.set(item.name, item);
  }
  return map;
}

function equal(a: J, b: J): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diff(before: J, after: J, path = '', out: FieldChange[] = []): FieldChange[] {
  if (equal(before, after)) return out;
  if (isObject(before) && isObject(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      diff(before[k], after[k], path ? `${path}.${k}` : k, out);
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const a = namedItems(before);
    const b = namedItems(after);
    if (a && b) {
      for (const name of new Set([...a.keys(), ...b.keys()])) diff(a.get(name), b.get(name), `${path}[${name}]`, out);
      return out;
    }
  }
  out.push({ path, ...(before !== undefined ? { from: before } : {}), ...(after !== undefined ? { to: after } : {}) });
  return out;
}

/** One line for humans: "image app: nginx:1.25 → nginx:1.26; replicas: 2 → 3". */
export function describeChanges(changes: readonly FieldChange[], max = 3): string {
  const fmt = (v: unknown): string => (v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));
  const parts = changes.slice(0, max).map((c) => `${c.path}: ${fmt(c.from)} → ${fmt(c.to)}`);
  const more = changes.length > max ? ` (+${changes.length - max} more)` : '';
  return parts.join('; ') + more;
}
