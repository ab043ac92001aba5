import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isValidLabelValue, labelSafeUsername } from '../src/labels.js';

describe('label-safe usernames', () => {
  it('keeps simple names and rewrites unsafe characters', () => {
    expect(labelSafeUsername('kubernetes-admin')).toBe('kubernetes-admin');
    expect(labelSafeUsername('system:serviceaccount:default:bot')).toBe('system_serviceaccount_default_bot');
    expect(labelSafeUsername('alice@example.com')).toBe('alice_example.com');
    expect(labelSafeUsername(':::')).toBe('unknown');
  });

  it('always yields a value Kubernetes accepts as a label', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (name) => {
        expect(isValidLabelValue(labelSafeUsername(name))).toBe(true);
      }),
    );
  });

  it('recognises invalid label values', () => {
    expect(isValidLabelValue('a'.repeat(64))).toBe(false);
    expect(isValidLabelValue('-x')).toBe(false);
    expect(isValidLabelValue('a:b')).toBe(false);
    expect(isValidLabelValue('')).toBe(true);
  });
});
