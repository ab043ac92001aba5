// The console imports '@wheelhouse/protocol/core' at runtime: nothing it reaches may load zod.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '../src/core.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module core.ts reaches through value imports (type-only imports are erased). */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(src, file), 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
    const spec = m[1] ?? '';
    if (spec.startsWith('./')) reachable(spec.slice(2).replace(/\.js$/, '.ts'), seen);
    else seen.add(spec);
  }
  return seen;
}

describe('@wheelhouse/protocol/core', () => {
  it('reaches no zod (nor any other package) at runtime', () => {
    const mods = [...reachable('core.ts')];
    expect(mods.filter((m) => !m.endsWith('.ts'))).toEqual([]);
    expect(mods).toContain('owner.ts');
  });

  it('exports what the console needs at runtime', () => {
    expect(core.TERMINAL_STATES).toEqual(['succeeded', 'failed', 'rejected', 'expired']);
    expect(core.isTerminal('running')).toBe(false);
    expect(core.TIMELINE_EVENT_TYPES).toContain('shell');
    expect(typeof core.resolveWorkload).toBe('function');
  });
});

describe('reading parsed JSON', () => {
  it('keeps what JSON has, drops undefined, and keeps "__proto__" a plain key', () => {
    const parsed: unknown = JSON.parse('{"a":[1,"x",null,{"b":true}],"__proto__":{"polluted":1}}');
    const json = core.toJson(parsed);
    expect(JSON.stringify(json)).toBe('{"a":[1,"x",null,{"b":true}],"__proto__":{"polluted":1}}');
    expect(core.toJson({ a: undefined, b: Number.NaN, c: [undefined] })).toEqual({ b: null, c: [null] });
    expect(core.parseJsonObject('[1]')).toEqual({});
    expect(core.messageOf({ message: 'no' })).toBe('no');
    expect(core.messageOf('text')).toBeUndefined();
  });
});
