import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeChanges, diff } from '../src/timeline/diff.js';

describe('diff', () => {
  it('names an image change by container name', () => {
    const a = {
      replicas: 2,
      template: {
        containers: [
          { name: 'app', image: 'nginx:1.25' },
          { name: 'side', image: 'envoy:1' },
        ],
      },
    };
    const b = {
      replicas: 2,
      template: {
        containers: [
          { name: 'side', image: 'envoy:1' },
          { name: 'app', image: 'nginx:1.26' },
        ],
      },
    };
    expect(diff(a, b)).toEqual([{ path: 'template.containers[app].image', from: 'nginx:1.25', to: 'nginx:1.26' }]);
  });

  it('reports added and removed fields', () => {
    expect(diff({ a: 1 }, { b: 2 })).toEqual([
      { path: 'a', from: 1 },
      { path: 'b', to: 2 },
    ]);
  });

  it('describes changes in one line', () => {
    expect(describeChanges([{ path: 'replicas', from: 2, to: 3 }])).toBe('replicas: 2 → 3');
  });

  it('finds no change between equal values and some change between different ones', () => {
    const json = fc.jsonValue();
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(diff(a as never, structuredClone(a) as never)).toEqual([]);
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(diff(a as never, b as never).length).toBeGreaterThan(0);
      }),
    );
  });
});
