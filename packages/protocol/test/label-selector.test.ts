// The inventory list's label selector (protocol/label-selector.ts): equality
// terms parsed to the labels they require, anything else refused with the term
// named; the console's text for a Service's selector parses back to it.
import { describe, expect, it } from 'vitest';
import { formatLabelSelector, parseLabelSelector, selectorMatches } from '../src/label-selector.js';

describe('label selector', () => {
  it('parses equality terms (= or ==, spaces around terms, prefixed keys, empty values)', () => {
    expect(parseLabelSelector('app=web, tier==front,app.kubernetes.io/name=shop,empty=')).toEqual({
      labels: { app: 'web', tier: 'front', 'app.kubernetes.io/name': 'shop', empty: '' },
    });
  });

  it('refuses set-based terms, bad keys and values, repeated keys and too many terms, naming the term', () => {
    for (const [text, says] of [
      ['', 'empty'],
      ['app!=web', '"app!=web"'],
      ['app in (web', '"app in (web"'],
      ['!app', '"!app"'],
      ['app', '"app"'],
      ['=web', '""'],
      ['app=-web', '"app=-web"'],
      ['a"b=c', '"a"b"'],
      ['Example.com/app=web', 'prefix'],
      ['app=web,app=api', '"app": each key at most once'],
      [Array.from({ length: 21 }, (_, i) => `k${i}=v`).join(','), 'at most 20 terms'],
    ] as const) {
      const r = parseLabelSelector(text);
      expect('error' in r ? r.error : 'parsed', text).toContain(says);
    }
  });

  it("takes keys named like an object's own properties as plain keys", () => {
    expect(parseLabelSelector('constructor=x,toString=y')).toEqual({ labels: { constructor: 'x', toString: 'y' } });
    expect(selectorMatches({ constructor: 'x' }, {})).toBe(false);
  });

  it("formats labels sorted by key, which parse back; a match needs every term's key and value", () => {
    const labels = { tier: 'front', app: 'web' };
    expect(formatLabelSelector(labels)).toBe('app=web,tier=front');
    expect(parseLabelSelector(formatLabelSelector(labels))).toEqual({ labels: { app: 'web', tier: 'front' } });
    expect(selectorMatches(labels, { app: 'web', tier: 'front', x: 'y' })).toBe(true);
    expect(selectorMatches(labels, { app: 'web', role: 'front' })).toBe(false);
  });
});
