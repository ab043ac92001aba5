// The engine's rules around the checks: nothing before every kind is listed,
// the first run is a snapshot, then only differences; `since` never gets younger.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { InsightInput } from '@wheelhouse/protocol';
import { InsightEngine } from '../src/insights/insight-engine.js';

const crashing = (restartCount: number, runningFor: number | null, now: number) => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount,
        state:
          runningFor === null
            ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app' } }
            : { running: { startedAt: new Date(now - runningFor).toISOString() } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(now - 30_000).toISOString() } },
      },
    ],
  },
});

function engine(now: { t: number }) {
  const sent: { snapshot?: InsightInput[]; opened?: InsightInput[]; resolved?: string[] }[] = [];
  const e = new InsightEngine({
    kinds: ['Pod'],
    owner: () => undefined,
    now: () => now.t,
    sink: {
      snapshot: (s) => sent.push({ snapshot: s }),
      changes: (opened, resolved) => sent.push({ opened, resolved }),
    },
  });
  return { e, sent };
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('InsightEngine', () => {
  it('a paged list keeps each page trimmed, not the raw objects, and checks the same pods as one list', async () => {
    const now = { t: Date.parse('2026-11-29T00:00:00Z') };
    const paged = engine(now);
    const whole = engine(now);
    const pod = (i: number) => {
      const p = crashing(2, null, now.t);
      return {
        ...p,
        metadata: {
          ...p.metadata,
          name: `p${i}`,
          uid: `u${i}`,
          managedFields: [{ manager: 'kwok', fieldsV1: { big: 'x'.repeat(4096) } }],
        },
      };
    };
    paged.e.beginList('Pod');
    const held: WeakRef<object>[] = [];
    const addPage = (page: number): void => {
      const objects = Array.from({ length: 100 }, (_, i) => pod(page * 100 + i));
      for (const o of objects) held.push(new WeakRef(o), new WeakRef(o.metadata));
      paged.e.addListPage('Pod', objects);
    };
    for (let page = 0; page < 3; page++) addPage(page);
    await new Promise((r) => setTimeout(r, 0)); // a WeakRef holds its target until the job that made it ends
    gc();
    expect(held.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    paged.e.endList('Pod');
    expect(paged.e.view.byUid('Pod', 'u7')?.metadata).not.toHaveProperty('managedFields');
    whole.e.onList(
      'Pod',
      Array.from({ length: 300 }, (_, i) => pod(i)),
    );
    paged.e.evaluate();
    whole.e.evaluate();
    expect(paged.sent[0]?.snapshot).toHaveLength(300);
    expect(paged.sent).toEqual(whole.sent);
  });

  it('waits for every kind, sends one snapshot, then changes; a crash loop does not flap while the container runs again', () => {
    const now = { t: Date.parse('2026-11-29T00:00:00Z') };
    const { e, sent } = engine(now);
    e.onChange('Pod', 'ADDED', crashing(2, null, now.t));
    e.evaluate();
    expect(sent).toEqual([]); // Pods were never listed

    e.onList('Pod', [crashing(2, null, now.t)]);
    e.evaluate();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.snapshot?.map((i) => i.id)).toEqual(['crash-loop:Pod:ns:p:app']);
    const since = sent[0]?.snapshot?.[0]?.since;

    // Restarted, running for 2 s: still the same crash loop (no resolve/reopen), with the new count.
    now.t += 5_000;
    e.onChange('Pod', 'MODIFIED', crashing(3, 2_000, now.t));
    e.evaluate();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.resolved).toEqual([]);
    expect(sent[1]?.opened?.[0]?.title).toMatch(/3 restarts$/);
    expect(sent[1]?.opened?.[0]?.since).toBe(since);

    // Running for 10 minutes: the kubelet forgot the back-off, and so does the insight.
    now.t += 10 * 60_000;
    e.onChange('Pod', 'MODIFIED', crashing(3, 10 * 60_000, now.t));
    e.evaluate();
    expect(sent[2]).toEqual({ opened: [], resolved: ['crash-loop:Pod:ns:p:app'] });

    // Nothing changed: nothing sent.
    e.evaluate();
    expect(sent).toHaveLength(3);
  });
  it('looks up the owner only of the pods it reports on: at 30,000 pods a lookup for each was most of a run', () => {
    const now = { t: Date.parse('2026-11-29T12:00:00Z') };
    const asked: string[] = [];
    const e = new InsightEngine({
      kinds: ['Pod'],
      owner: (_kind, _ns, name) => {
        asked.push(name);
        return { kind: 'Deployment', name: 'shop' };
      },
      now: () => now.t,
      sink: { snapshot: () => undefined, changes: () => undefined },
    });
    const healthy = (i: number) => ({
      metadata: { name: `ok-${i}`, namespace: 'ns', uid: `ok-${i}` },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-29T11:00:00Z' } } },
        ],
      },
    });
    e.onList('Pod', [...Array.from({ length: 100 }, (_, i) => healthy(i)), crashing(3, null, now.t)]);
    e.evaluate();
    expect(asked).toEqual(['p']);
    expect(e.current().map((i) => [i.check, i.object.name, i.owner])).toEqual([
      ['crash-loop', 'p', { kind: 'Deployment', name: 'shop' }],
    ]);
  });
});
