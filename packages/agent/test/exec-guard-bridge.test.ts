// The timeline wording of exec guard's interactions: kubectl debug reads as an
// added debug container (with image and target), exec as a command run.
import { EventEmitter } from 'node:events';
import type { ExecGuardEvents, ExecGuardHandle } from '@wheelhouse/exec-guard';
import { TimelineEventInput } from '@wheelhouse/protocol';
import { describe, expect, it } from 'vitest';
import { forwardExecGuardEvents } from '../src/exec-guard-bridge.js';

describe('exec guard events on the timeline', () => {
  it('words kubectl debug and kubectl exec differently', () => {
    const events = new EventEmitter<ExecGuardEvents>();
    const out: TimelineEventInput[] = [];
    const stop = forwardExecGuardEvents(
      { events } as unknown as ExecGuardHandle,
      (e) => out.push(...e),
      () => undefined,
    );
    const base = { kind: 'interaction' as const, at: 1_700_000_000_000, namespace: 'shop', pod: 'web-1', groups: [] };
    events.emit('interaction', {
      entry: {
        ...base,
        id: 'd1',
        operation: 'debug',
        user: 'alice',
        container: 'debugger',
        image: 'busybox:1.36',
        targetContainer: 'app',
        command: ['sh'],
      },
      first: true,
      terminationTime: '2023-11-14T22:23:20Z',
    });
    events.emit('interaction', {
      entry: { ...base, id: 'e1', operation: 'exec', user: 'bob', container: 'app', command: ['ls', '/'] },
      first: false,
    });
    stop();
    expect(out.map((e) => e.summary)).toEqual([
      "alice added a debug container with kubectl debug (ephemeral container 'debugger', image busybox:1.36, targeting container 'app'): sh — the pod will be evicted at 2023-11-14T22:23:20Z",
      'bob ran kubectl exec in app: ls /',
    ]);
    expect(out[0]?.data).toMatchObject({ operation: 'debug', image: 'busybox:1.36', targetContainer: 'app' });
    // The hub validates each event type's data on the link: nothing the bridge sends may be dropped there.
    for (const e of out) expect(TimelineEventInput.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });
});
