import { describe, expect, it } from 'vitest';
import { rootCause, type TimelineEvent } from '../src/index.js';

const w = { kind: 'Deployment', namespace: 'shop', name: 'shop' };
const t0 = Date.parse('2026-11-29T01:00:00Z');

function specChange(time: number, changes: { path: string; from: unknown; to: unknown }[]): TimelineEvent {
  return {
    cluster: 'c',
    seq: 1,
    id: `spec:${time}`,
    time,
    type: 'spec-change',
    severity: 'info',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'shop',
    summary: 'Deployment shop changed',
    data: {
      changes: changes.map((c) => ({ path: c.path, from: c.from as string, to: c.to as string })),
      revision: '6',
    },
  };
}

describe('rootCause', () => {
  it('names the revision and its image change, and offers the rollback to the previous revision', () => {
    const hint = rootCause({
      since: t0 + 40_000,
      workload: w,
      events: [
        specChange(t0 - 3_600_000, [{ path: 'template.containers[app].image', from: 'r/shop:1.3', to: 'r/shop:1.4' }]),
        specChange(t0, [{ path: 'template.containers[app].image', from: 'r/shop:1.4', to: 'r/shop:1.5' }]),
      ],
      revisions: { current: 7, previous: 6 },
    });
    expect(hint.text).toBe('Failing since 40 s after revision 7 changed image shop 1.4 → 1.5');
    expect(hint.action).toEqual({
      action: 'rollback',
      target: w,
      params: { toRevision: 6 },
      label: 'Roll back to revision 6?',
    });
  });

  it('says when nothing changed in the window, and where to look', () => {
    const hint = rootCause({
      since: t0,
      workload: w,
      events: [specChange(t0 - 3_600_000, [{ path: 'template.containers[app].image', from: 'a:1', to: 'a:2' }])],
    });
    expect(hint.kind).toBe('nothing');
    expect(hint.text).toMatch(/^Nothing changed on Deployment shop in the 30 min before it started failing/);
    expect(hint.lookAt).toEqual(['dependencies', 'nodes', 'quotas']);
    expect(hint.action).toBeUndefined();
  });

  it('a scale is a scale, not a deploy (no rollback)', () => {
    const hint = rootCause({
      since: t0 + 120_000,
      workload: w,
      events: [specChange(t0, [{ path: 'replicas', from: 2, to: 5 }])],
    });
    expect(hint.text).toBe('Failing since 2 min after shop was scaled 2 → 5');
    expect(hint.action).toBeUndefined();
  });
});
