// The digest that keeps floods of identical denials (refused WebSocket
// origins, throttled sign-ins) from becoming floods of audit rows.
import { describe, expect, it } from 'vitest';
import { DenialDigest, OVERFLOW_KEY } from '../src/audit/denial-digest.js';

function digest(maxKeys = 3) {
  let now = 1_000;
  const rows: { sample: string; repeated: number }[] = [];
  const d = new DenialDigest<string>({
    windowMs: 60_000,
    maxKeys,
    now: () => now,
    flush: (sample, repeated) => {
      rows.push({ sample, repeated });
      return Promise.resolve();
    },
  });
  return { d, rows, advance: (ms: number) => (now += ms) };
}

describe('DenialDigest', () => {
  it('admits the first denial of a key, counts repeats, and writes one summary when the window ends', async () => {
    const { d, rows, advance } = digest();
    expect(d.admit('a', 'a1')).toBe(true);
    expect([d.admit('a', 'a2'), d.admit('a', 'a3'), d.admit('b', 'b1')]).toEqual([false, false, true]);
    advance(30_000);
    d.sweep();
    expect(rows).toEqual([]);
    advance(31_000);
    d.sweep();
    expect(rows).toEqual([{ sample: 'a1', repeated: 2 }]); // b had no repeats: nothing more to say
    expect(d.admit('a', 'a4')).toBe(true); // a new window
    await d.close();
  });

  it('past maxKeys new keys share one overflow window, so rows stay bounded', async () => {
    const { d, rows } = digest(2);
    expect(d.admit('k1', 'x')).toBe(true);
    expect(d.admit('k2', 'x')).toBe(true);
    const admitted = Array.from({ length: 100 }, (_, i) => d.admit(`other-${i}`, `o${i}`)).filter(Boolean);
    expect(admitted).toHaveLength(1);
    await d.close();
    expect(rows).toEqual([{ sample: 'o0', repeated: 99 }]);
    expect(OVERFLOW_KEY).toContain('overflow');
  });
});
