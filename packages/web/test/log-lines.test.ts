import { describe, expect, it } from 'vitest';
import { countMatches, logFileName, splitTimestamp } from '../src/ui/log-lines.js';

describe('log lines', () => {
  it("shows the kubelet's timestamp readable, keeping the exact one", () => {
    expect(splitTimestamp('2026-11-29T04:00:00.123456789Z started worker')).toEqual({
      stamp: '2026-11-29 04:00:00.123 UTC',
      iso: '2026-11-29T04:00:00.123456789Z',
      text: 'started worker',
    });
    expect(splitTimestamp('2026-11-29T04:00:00Z x')?.stamp).toBe('2026-11-29 04:00:00.000 UTC');
    expect(splitTimestamp('no stamp here')).toBeUndefined();
  });

  it('counts matches and matching lines, case-insensitively', () => {
    expect(countMatches(['a foo', 'FOO foo', 'bar'], 'foo')).toEqual({ matches: 3, lines: 2 });
    expect(countMatches(['aaaa'], 'aa')).toEqual({ matches: 2, lines: 1 });
    expect(countMatches(['x'], '')).toEqual({ matches: 0, lines: 0 });
  });

  it('names a download after the pod, container and time', () => {
    expect(logFileName('web-1', 'app', true, new Date('2026-11-29T04:00:00.000Z'))).toBe(
      'web-1_app_previous_2026-11-29T04-00-00-000Z.log',
    );
  });
});
