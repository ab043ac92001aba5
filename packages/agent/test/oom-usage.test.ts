// The OOM kill's usage evidence: the last memory sample metrics.k8s.io gave
// before the kill, next to the limit; or why there is none.
import { describe, expect, it } from 'vitest';
import type { InsightInput, UsageMessage } from '@wheelhouse/protocol';
import { InsightEngine } from '../src/insights/insight-engine.js';

const at = (iso: string) => Date.parse(iso);
const KILLED = '2026-11-29T10:05:00Z';
const NOW = at('2026-11-29T10:05:30Z');

const pod = {
  metadata: { name: 'memhog-1', namespace: 'ns', uid: 'p1' },
  spec: { containers: [{ name: 'app', image: 'app:1', resources: { limits: { memory: '64Mi' } } }] },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: true,
        restartCount: 1,
        state: { running: { startedAt: '2026-11-29T10:05:01Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: KILLED } },
      },
    ],
  },
};

const sample = (time: string, mi: number): UsageMessage => ({
  type: 'usage.sample',
  time: at(time),
  available: true,
  nodes: [],
  pods: [
    {
      namespace: 'ns',
      name: 'memhog-1',
      time: at(time),
      containers: [
        {
          name: 'app',
          cpu: 5,
          memory: mi * 1024 ** 2,
          requests: { cpu: null, memory: null },
          limits: { cpu: null, memory: 64 * 1024 ** 2 },
        },
      ],
    },
  ],
});

function oom(samples: UsageMessage[]): InsightInput | undefined {
  const out: InsightInput[] = [];
  const e = new InsightEngine({
    kinds: ['Pod'],
    owner: () => undefined,
    now: () => NOW,
    sink: { snapshot: (s) => out.push(...s), changes: () => undefined },
  });
  e.onList('Pod', [pod]);
  for (const s of samples) e.view.noteUsage(s);
  e.evaluate();
  return out.find((i) => i.check === 'oom-killed');
}

const usage = (i: InsightInput | undefined) => i?.evidence.find((x) => x.source === 'usage');

describe('oom-killed usage evidence', () => {
  it('the last sample before the kill, against the limit (not the one after the restart)', () => {
    const i = oom([
      sample('2026-11-29T10:03:50Z', 40),
      sample('2026-11-29T10:04:50Z', 61),
      sample('2026-11-29T10:05:20Z', 3),
    ]);
    expect(i?.title).toBe('Container app of memhog-1 was OOMKilled (memory limit 64Mi, 61Mi used before)');
    expect(usage(i)).toEqual({
      source: 'usage',
      label: 'memory usage before the kill',
      value: '61Mi at 2026-11-29T10:04:50.000Z, 10 s before the kill (95 % of the 64Mi limit)',
    });
  });

  it('says why there is no number: not read yet, metrics.k8s.io missing, or no sample shortly before the kill', () => {
    expect(usage(oom([]))?.value).toBe('not measured yet (metrics.k8s.io is read once a minute)');
    const missing: UsageMessage = {
      type: 'usage.sample',
      time: NOW,
      available: false,
      reason: 'metrics.k8s.io is not served by this cluster: install metrics-server to see resource usage',
      pods: [],
      nodes: [],
    };
    expect(usage(oom([missing]))?.value).toBe(
      'not measured: metrics.k8s.io is not served by this cluster: install metrics-server to see resource usage',
    );
    const i = oom([sample('2026-11-29T09:40:00Z', 50), sample('2026-11-29T10:05:20Z', 3)]);
    expect(usage(i)?.value).toMatch(/^not measured in the 10 min before the kill/);
    expect(i?.title).toBe('Container app of memhog-1 was OOMKilled (memory limit 64Mi)');
  });
});
