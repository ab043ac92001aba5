import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { humanAge } from '../src/age.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanAge matches kubectl', () => {
  it.each([
    [0, '0s'],
    [90 * S, '90s'],
    [2 * M, '2m'],
    [3 * M + 5 * S, '3m5s'],
    [15 * M, '15m'],
    [3 * H, '3h'],
    [3 * H + 30 * M, '3h30m'],
    [10 * H, '10h'],
    [3 * D + 4 * H, '3d4h'],
    [30 * D, '30d'],
    [3 * 365 * D + 12 * D, '3y12d'],
    [10 * 365 * D, '10y'],
    [-5 * S, '<invalid>'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanAge(ms)).toBe(want);
  });

  it('never grows shorter as time passes', () => {
    const toSeconds = (s: string): number => {
      const units: Record<string, number> = { y: 365 * 86400, d: 86400, h: 3600, m: 60, s: 1 };
      let total = 0;
      for (const [, n, u] of s.matchAll(/(\d+)([ydhms])/g)) total += Number(n) * (units[u ?? 's'] ?? 0);
      return total;
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 * 365 * D }), fc.integer({ min: 0, max: 365 * D }), (a, delta) => {
        expect(toSeconds(humanAge(a + delta))).toBeGreaterThanOrEqual(toSeconds(humanAge(a)));
      }),
    );
  });
});
