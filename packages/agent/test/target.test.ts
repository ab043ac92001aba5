import { describe, expect, it } from 'vitest';
import { createdAfterRequest } from '../src/actions/target.js';

describe('re-delivered deletes', () => {
  const requestedAt = Date.parse('2026-11-22T10:00:00.500Z');
  const obj = (ts: string) => ({ metadata: { creationTimestamp: ts } });

  it('leave alone an object created after the command was requested', () => {
    expect(createdAfterRequest(obj('2026-11-22T10:00:02Z'), requestedAt)).toBe(true);
  });

  it('still act on the original target', () => {
    expect(createdAfterRequest(obj('2026-11-22T09:59:00Z'), requestedAt)).toBe(false);
    // Same second: creationTimestamp cannot prove "after", so the object is treated as the target.
    expect(createdAfterRequest(obj('2026-11-22T10:00:00Z'), requestedAt)).toBe(false);
    expect(createdAfterRequest(obj('2026-11-22T10:00:02Z'), undefined)).toBe(false);
    expect(createdAfterRequest({}, requestedAt)).toBe(false);
  });
});
