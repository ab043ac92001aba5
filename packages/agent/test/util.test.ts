// mergePatchBetween (actions/util.ts): the patch it computes really produces the target.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergePatchBetween } from '../src/actions/util.js';

/** RFC 7386 applied, to check the patch we compute really produces the target. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? (target as Record<string, unknown>) : {};
  const out = new Map(Object.entries(base));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, applyMergePatch(out.get(k), v));
  }
  return Object.fromEntries(out);
}

describe('mergePatchBetween', () => {
  it('removes keys the target lacks and replaces lists', () => {
    const from = {
      metadata: { annotations: { restartedAt: 't', keep: 'k' } },
      spec: { containers: [{ name: 'a', image: 'v2' }] },
    };
    const to = { metadata: { annotations: { keep: 'k' } }, spec: { containers: [{ name: 'a', image: 'v1' }] } };
    expect(mergePatchBetween(from, to)).toEqual({
      metadata: { annotations: { restartedAt: null } },
      spec: { containers: [{ name: 'a', image: 'v1' }] },
    });
  });

  it('turns any object into any other (null-free values)', () => {
    const value = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('null'));
    const obj = fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      value,
    );
    fc.assert(
      fc.property(obj, obj, (a, b) => {
        expect(applyMergePatch(a, mergePatchBetween(a, b))).toEqual(b);
      }),
    );
  });
});
