// Summarizes a V8 heap snapshot (.heapsnapshot): self size and count per
// constructor (objects), per node type otherwise (strings, arrays, code), the
// biggest first — what holds memory, without a DevTools session.
// Usage: node --max-old-space-size=4096 bench/dist/src/heap-summary.js <file> [top=30]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: heap-summary <file.heapsnapshot> [top]');
const top = Number(process.argv[3] ?? 30);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
  number,
  number,
  number,
];
const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += fields.length) {
  const type = types[snap.nodes[i + typeAt] ?? 0] ?? '?';
  const size = snap.nodes[i + sizeAt] ?? 0;
  const key = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt] ?? 0]}` : type;
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += size;
  groups.set(key, g);
  total += size;
}
console.log(
  `total self size ${(total / 1e6).toFixed(1)} MB in ${(snap.nodes.length / fields.length).toLocaleString('en-US')} nodes`,
);
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top))
  console.log(`${(g.bytes / 1e6).toFixed(1).padStart(8)} MB ${String(g.count).padStart(10)}  ${key.slice(0, 100)}`);
