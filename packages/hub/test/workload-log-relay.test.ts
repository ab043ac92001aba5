// The whole-workload log relay without a cluster (workload-logs.int.test.ts
// has the real one): the hub's real inventory store and live bus, the agent
// side captured at the link. What a reader notices: whole lines only, tagged;
// a slow reader loses whole lines and is told how many; a deleted pod leaves.
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubMessage, InventoryItem, LogsOpenMessage, WorkloadLogsServerMessage } from '@wheelhouse/protocol';
import { LogRelay } from '../src/logs/log-relay.js';
import { HubMetrics } from '../src/metrics.js';
import { WorkloadLogRelay } from '../src/logs/workload-log-relay.js';
import { createHub, type Hub } from '../src/server.js';
import { deploymentSummary, runningPodSummary } from './support/inventory-items.js';

class BrowserSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: WorkloadLogsServerMessage[] = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text) as WorkloadLogsServerMessage);
  }
  close(): void {
    this.readyState = 3;
  }
}

const item = (kind: string, name: string, owner?: { kind: string; name: string }): InventoryItem =>
  ({
    kind,
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    resourceVersion: '1',
    createdAt: Date.now(),
    labels: {},
    ownerRefs: owner ? [{ ...owner, uid: `uid-${owner.name}`, controller: true }] : [],
    summary: kind === 'Pod' ? runningPodSummary(['app']) : kind === 'Deployment' ? deploymentSummary(2) : {},
  }) as unknown as InventoryItem;

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('whole-workload log relay', () => {
  let hub: Hub;
  const toAgent: HubMessage[] = [];
  let logs: LogRelay;
  let relay: WorkloadLogRelay;

  beforeAll(async () => {
    hub = await createHub({ logger: false });
    await hub.clusters.create('c1', 'test');
    await hub.inventory.applyChanges(
      'c1',
      [
        item('Deployment', 'web'),
        item('ReplicaSet', 'web-1', { kind: 'Deployment', name: 'web' }),
        item('Pod', 'web-1-a', { kind: 'ReplicaSet', name: 'web-1' }),
        item('Pod', 'web-1-b', { kind: 'ReplicaSet', name: 'web-1' }),
        // Another workload's pod in the same namespace is not followed.
        item('Pod', 'other-0', { kind: 'StatefulSet', name: 'other' }),
      ],
      [],
    );
    // Its own relay, whose agent side is captured (the hub's own has no agent here).
    logs = new LogRelay({ metrics: new HubMetrics(), audit: hub.audit });
    logs.attach({ sendTo: (_c, m) => (toAgent.push(m), true), isConnected: () => true });
    relay = new WorkloadLogRelay({
      relay: logs,
      inventory: hub.inventory,
      live: hub.live,
      audit: hub.audit,
      options: { maxBuffered: 1000 },
    });
  });
  afterAll(() => hub.close());

  it('sends whole tagged lines, drops whole lines for a slow reader and says how many, and lets a deleted pod leave', async () => {
    const socket = new BrowserSocket();
    relay.start(socket as unknown as WebSocket, {
      user: 'alice',
      cluster: 'c1',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'web',
      follow: true,
      timestamps: false,
    });
    await tick(50);
    const opens = toAgent.filter((m): m is LogsOpenMessage => m.type === 'logs.open');
    expect(opens.map((m) => m.pod).sort()).toEqual(['web-1-a', 'web-1-b']);
    const streamOf = (pod: string): string => opens.find((o) => o.pod === pod)?.streamId ?? '';
    const data = (pod: string, text: string) => logs.onLogs('c1', { type: 'logs.data', streamId: streamOf(pod), text });

    // A partial line waits for its end; lines of two pods never mix.
    data('web-1-a', 'one\ntw');
    data('web-1-b', 'b-one\n');
    data('web-1-a', 'o\n');
    const lines = () => socket.sent.filter((m) => m.type === 'data');
    expect(lines()).toEqual([
      { type: 'data', pod: 'web-1-a', container: 'app', text: 'one\n' },
      { type: 'data', pod: 'web-1-b', container: 'app', text: 'b-one\n' },
      { type: 'data', pod: 'web-1-a', container: 'app', text: 'two\n' },
    ]);

    // The reader falls behind: whole lines are dropped and counted, and said once it drains.
    socket.bufferedAmount = 5000;
    data('web-1-a', 'lost-1\nlost-2\n');
    data('web-1-b', 'lost-3\n');
    expect(lines()).toHaveLength(3);
    socket.bufferedAmount = 0;
    await tick(250);
    expect(socket.sent.find((m) => m.type === 'dropped')).toEqual({ type: 'dropped', bytes: 21, lines: 3 });
    data('web-1-b', 'back\n');
    expect(lines().at(-1)).toEqual({ type: 'data', pod: 'web-1-b', container: 'app', text: 'back\n' });

    // The pod is deleted: the live bus says so, the stream leaves and its agent stream is closed.
    await hub.inventory.applyChanges('c1', [], [{ uid: 'uid-web-1-b' }]);
    hub.live.publish({
      type: 'inventory',
      cluster: 'c1',
      upserts: [],
      deletes: [{ kind: 'Pod', uid: 'uid-web-1-b', namespace: 'shop', name: 'web-1-b' }],
    });
    await tick(300);
    expect(socket.sent).toContainEqual({
      type: 'left',
      pod: 'web-1-b',
      container: 'app',
      reason: 'deleted',
      message: 'the pod was deleted',
    });
    expect(toAgent).toContainEqual({ type: 'logs.close', streamId: streamOf('web-1-b') });
    expect(relay.stats()).toEqual({ streams: 1, containers: 1 });
    socket.emit('close');
    expect(relay.stats()).toEqual({ streams: 0, containers: 0 });
    expect(toAgent).toContainEqual({ type: 'logs.close', streamId: streamOf('web-1-a') });
  });
});
