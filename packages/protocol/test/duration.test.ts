import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DurationError, formatDuration, parseDuration } from '../src/duration.js';

describe('Go-style durations', () => {
  it('parses what kubectl pi users type', () => {
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2m0s')).toBe(120_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
  });

  it('prints like Go Duration.String()', () => {
    expect(formatDuration(600_000)).toBe('10m0s');
    expect(formatDuration(120_000)).toBe('2m0s');
    expect(formatDuration(5_400_000)).toBe('1h30m0s');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it.each(['', '10', 'abc', '5 m', '-5m', '1d', '5m-', 'm5', '1.2.3s', '0.5ms'])(
    'rejects %j with a message naming it',
    (bad) => {
      expect(() => parseDuration(bad)).toThrow(DurationError);
      expect(() => parseDuration(bad)).toThrow(`"${bad}"`);
    },
  );

  it('round-trips every whole-millisecond duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 24 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('never throws anything but DurationError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const ms = parseDuration(s);
          expect(Number.isSafeInteger(ms) && ms >= 0).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(DurationError);
        }
      }),
    );
  });
});
