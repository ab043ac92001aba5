// The agent's outbox: what reaches the hub, in what shape, and what is kept or
// dropped while the link is down or slow.
import { describe, expect, it } from 'vitest';
import {
  LINK_BATCH_BYTES,
  MAX_FRAME_BYTES,
  SNAPSHOT_CHUNK,
  AgentMessage,
  type InventoryItem,
  type TimelineEventInput,
} from '@wheelhouse/protocol';
import { Outbox, type OutboxOptions } from '../src/outbox.js';
import { project } from '../src/projections.js';
import { eventsForChange } from '../src/timeline/events.js';

const cm = (name: string, rv = '1', ns = 'shop'): InventoryItem =>
  project('ConfigMap', { metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, resourceVersion: rv } });
const node = (name: string): InventoryItem =>
  project('Node', { metadata: { name, uid: `uid-${name}`, resourceVersion: '1' } });
/** One timeline event per name ("created"), built the way the agent builds them. */
const events = (...names: string[]): TimelineEventInput[] =>
  names.flatMap((n) => eventsForChange(undefined, cm(n), 1000, () => undefined));

class Link {
  connected = true;
  buffered = 0;
  accept = true;
  readonly sent: AgentMessage[] = [];
  /** The frames' text, as the hub receives it. */
  readonly frames: string[] = [];
  readonly sender = {
    connected: () => this.connected,
    bufferedAmount: () => this.buffered,
    // Serializes like HubLink.send: what reaches the hub is the JSON text.
    send: (m: AgentMessage) => this.sender.sendText(JSON.stringify(m)),
    sendText: (json: string) => {
      if (!this.accept) return false;
      this.frames.push(json);
      this.sent.push(AgentMessage.parse(JSON.parse(json)));
      return true;
    },
  };
  take(): AgentMessage[] {
    return this.sent.splice(0);
  }
}

const OPTS: OutboxOptions = { flushMs: 1000, maxBatch: 3, maxTimelineBuffer: 4, highWaterBytes: 1000 };

function setup(opts: Partial<OutboxOptions> = {}) {
  const link = new Link();
  return { link, outbox: new Outbox(link.sender, { ...OPTS, ...opts }) };
}

const names = (items: { name: string }[]): string[] => items.map((i) => i.name);

describe('outbox', () => {
  it('coalesces changes per object: the latest state wins, a delete cancels a pending upsert and vice versa', () => {
    const { link, outbox } = setup();
    outbox.upsert(cm('a', '1'));
    outbox.upsert(cm('a', '2'));
    outbox.upsert(cm('b'));
    outbox.remove(cm('b'));
    outbox.remove(cm('c'));
    outbox.upsert(cm('c', '3'));
    outbox.flush();
    const [m, ...rest] = link.take();
    expect(rest).toEqual([]);
    if (m?.type !== 'inventory.changes') throw new Error(`expected inventory.changes, got ${m?.type}`);
    expect(m.upserts.map((i) => `${i.name}@${i.resourceVersion}`)).toEqual(['a@2', 'c@3']);
    expect(m.deletes).toEqual([{ kind: 'ConfigMap', uid: 'uid-shop-b', namespace: 'shop', name: 'b' }]);
  });

  it('splits changes into batches of maxBatch and flushes early when a batch is full', () => {
    const { link, outbox } = setup();
    outbox.upsert(cm('a'));
    outbox.upsert(cm('b'));
    expect(link.sent).toHaveLength(0);
    outbox.upsert(cm('c')); // the third fills a batch
    expect(link.take().map((m) => (m.type === 'inventory.changes' ? names(m.upserts) : m.type))).toEqual([
      ['a', 'b', 'c'],
    ]);
    for (const n of ['d', 'e']) outbox.remove(cm(n));
    for (const n of ['f', 'g']) outbox.upsert(cm(n));
    for (const n of ['h', 'i']) outbox.remove(cm(n));
    outbox.flush();
    const batches = link
      .take()
      .map((m) => (m.type === 'inventory.changes' ? [names(m.upserts), names(m.deletes)] : []));
    expect(batches).toEqual([
      [
        ['f', 'g'],
        ['d', 'e', 'h'],
      ],
      [[], ['i']],
    ]);
  });

  it('drops inventory changes while disconnected (the snapshots on reconnect carry them) but keeps timeline events and command updates', () => {
    const { link, outbox } = setup();
    link.connected = false;
    outbox.upsert(cm('a'));
    outbox.remove(cm('b'));
    outbox.timeline(events('x', 'y'));
    outbox.commandUpdate({ type: 'command.update', id: 'c1', state: 'succeeded', message: 'done' });
    outbox.flush();
    expect(link.sent).toHaveLength(0);
    link.connected = true;
    outbox.flush();
    const sent = link.take();
    expect(sent.map((m) => m.type)).toEqual(['command.update', 'timeline']);
    expect(sent[1]?.type === 'timeline' ? sent[1].events.map((e) => e.id) : []).toEqual(
      events('x', 'y').map((e) => e.id),
    );
  });

  it('keeps at most maxTimelineBuffer events, dropping the oldest and counting them', () => {
    const { link, outbox } = setup();
    link.connected = false;
    outbox.timeline(events('e1', 'e2', 'e3'));
    outbox.timeline(events('e4', 'e5', 'e6'));
    expect(outbox.pendingTimeline).toBe(4);
    expect(outbox.droppedTimeline).toBe(2);
    link.connected = true;
    outbox.flush();
    const ids = link.take().flatMap((m) => (m.type === 'timeline' ? m.events.map((e) => e.id) : []));
    expect(ids).toEqual(events('e3', 'e4', 'e5', 'e6').map((e) => e.id));
    expect(outbox.pendingTimeline).toBe(0);
  });

  it('holds everything back while the socket has more than highWaterBytes queued', () => {
    const { link, outbox } = setup();
    link.buffered = 5000;
    outbox.upsert(cm('a'));
    outbox.timeline(events('x'));
    outbox.commandUpdate({ type: 'command.update', id: 'c1', state: 'running', message: 'executing' });
    expect(link.sent).toHaveLength(0);
    link.buffered = 0;
    outbox.flush();
    expect(link.take().map((m) => m.type)).toEqual(['command.update', 'inventory.changes', 'timeline']);
  });

  it('keeps a command update the link refused and sends updates in order once it accepts', () => {
    const { link, outbox } = setup();
    link.accept = false;
    outbox.commandUpdate({ type: 'command.update', id: 'c1', state: 'running', message: 'executing' });
    outbox.commandUpdate({ type: 'command.update', id: 'c1', state: 'succeeded', message: 'scaled' });
    link.accept = true;
    outbox.flush();
    expect(link.take().map((m) => (m.type === 'command.update' ? m.state : m.type))).toEqual(['running', 'succeeded']);
  });

  it('sends a snapshot in chunks, the last one marked, and drops what was queued for that kind only', () => {
    const { link, outbox } = setup({ maxBatch: 5000 });
    outbox.upsert(cm('cm-0', '7')); // an older change of an object the snapshot carries
    outbox.remove(cm('gone'));
    outbox.upsert(node('n1'));
    const items = Array.from({ length: SNAPSHOT_CHUNK + 1 }, (_, i) => cm(`cm-${i}`));
    expect(outbox.snapshot('ConfigMap', items, 'snap-1')).toBe(true);
    const chunks = link.take();
    expect(
      chunks.map((m) => (m.type === 'inventory.snapshot' ? [m.snapshotId, m.items.length, m.last] : m.type)),
    ).toEqual([
      ['snap-1', SNAPSHOT_CHUNK, false],
      ['snap-1', 1, true],
    ]);
    outbox.flush();
    const [changes] = link.take();
    if (changes?.type !== 'inventory.changes') throw new Error('expected inventory.changes');
    // The snapshot supersedes the ConfigMap changes queued before it; the Node's still goes.
    expect(names(changes.upserts)).toEqual(['n1']);
    expect(changes.deletes).toEqual([]);
  });

  it('splits snapshots and change batches by bytes too: no message near the frame limit, every item once, in order', () => {
    const { link, outbox } = setup({ maxBatch: 5000 });
    // 40 ConfigMaps with ~300 KB of labels each: 12 MB, far over one frame if sent by count alone.
    const big = (name: string): InventoryItem => ({ ...cm(name), labels: { note: 'x'.repeat(300_000) } });
    const items = Array.from({ length: 40 }, (_, i) => big(`big-${i}`));
    outbox.snapshot('ConfigMap', items, 'snap-big');
    const chunks = link.take();
    expect(chunks.length).toBeGreaterThan(4);
    for (const m of chunks) expect(JSON.stringify(m).length).toBeLessThan(LINK_BATCH_BYTES + 400_000);
    expect(chunks.flatMap((m) => (m.type === 'inventory.snapshot' ? names(m.items) : []))).toEqual(names(items));
    expect(chunks.map((m) => m.type === 'inventory.snapshot' && m.last)).toEqual([
      ...Array.from({ length: chunks.length - 1 }, () => false),
      true,
    ]);
    for (const it of items) outbox.upsert({ ...it, resourceVersion: '2' });
    outbox.flush();
    const changes = link.take();
    expect(changes.length).toBeGreaterThan(4);
    for (const m of changes) expect(JSON.stringify(m).length).toBeLessThan(MAX_FRAME_BYTES / 2);
  });

  it('sends a big snapshot as the socket drains, not into its buffer at once, and the changes after it', () => {
    const { link, outbox } = setup({ maxBatch: 5000, highWaterBytes: 1000 });
    // The socket's buffer grows by what is sent, until the test drains it.
    link.sender.bufferedAmount = () => link.buffered;
    const sendText = link.sender.sendText;
    link.sender.sendText = (json) => {
      link.buffered += json.length;
      return sendText(json);
    };
    const items = Array.from({ length: 3 * SNAPSHOT_CHUNK + 10 }, (_, i) => cm(`cm-${i}`));
    expect(outbox.snapshot('ConfigMap', items, 'snap-3')).toBe(false);
    outbox.upsert(cm('cm-0', '8')); // changed after the snapshot was taken: must reach the hub after it
    const got: AgentMessage[] = link.take();
    expect(got).toHaveLength(1); // one chunk, then the buffer is over highWaterBytes
    for (let round = 0; round < 10 && !got.some((m) => m.type === 'inventory.changes'); round++) {
      link.buffered = 0; // the socket drained
      outbox.flush();
      const sent = link.take();
      expect(sent.filter((m) => m.type === 'inventory.snapshot').length).toBeLessThanOrEqual(1);
      got.push(...sent);
    }
    outbox.stop();
    expect(got.map((m) => (m.type === 'inventory.snapshot' ? [m.items.length, m.last] : m.type))).toEqual([
      [SNAPSHOT_CHUNK, false],
      [SNAPSHOT_CHUNK, false],
      [SNAPSHOT_CHUNK, false],
      [10, true],
      'inventory.changes',
    ]);
    expect(got.flatMap((m) => (m.type === 'inventory.snapshot' ? names(m.items) : []))).toEqual(names(items));
  });

  it('serializes each item once on its way to the hub: the JSON that sizes a batch is the frame', () => {
    const { link, outbox } = setup({ maxBatch: 2 });
    let serialized = 0;
    // Labels that count how often they are turned into JSON (the link's own JSON.stringify included).
    const counted = (it: InventoryItem): InventoryItem =>
      ({ ...it, labels: { toJSON: () => (serialized++, { app: 'shop' }) } }) as unknown as InventoryItem;
    const items = ['a', 'b', 'c'].map((n) => counted(cm(n)));
    expect(outbox.snapshot('ConfigMap', items, 'snap-once')).toBe(true);
    outbox.upsert(counted(cm('d', '2')));
    outbox.flush();
    expect(serialized).toBe(4);
    // What the hub reads is the same message, labels and all.
    const sent = link.take();
    expect(sent.flatMap((m) => (m.type === 'inventory.snapshot' ? names(m.items) : []))).toEqual(['a', 'b', 'c']);
    expect(sent.flatMap((m) => (m.type === 'inventory.changes' ? m.upserts.map((i) => i.labels) : []))).toEqual([
      { app: 'shop' },
    ]);
  });

  it('builds frames byte for byte as JSON.stringify of the message: the wire is unchanged', () => {
    const { link, outbox } = setup({ maxBatch: 2 });
    const items = [cm('a'), cm('b'), cm('c')];
    outbox.snapshot('ConfigMap', items, 'snap-wire');
    outbox.upsert(cm('d', '2'));
    outbox.remove(cm('e'));
    outbox.remove(cm('f'));
    outbox.remove(cm('g'));
    outbox.timeline(events('x'));
    outbox.flush();
    const del = (n: string) => ({ kind: 'ConfigMap', uid: `uid-shop-${n}`, namespace: 'shop', name: n });
    expect(link.frames).toEqual([
      JSON.stringify({ type: 'inventory.snapshot', kind: 'ConfigMap', snapshotId: 'snap-wire', items, last: true }),
      JSON.stringify({ type: 'inventory.changes', upserts: [cm('d', '2')], deletes: [del('e'), del('f')] }),
      JSON.stringify({ type: 'inventory.changes', upserts: [], deletes: [del('g')] }),
      JSON.stringify({ type: 'timeline', events: events('x') }),
    ]);
  });

  it('sends an empty kind as one empty last chunk, so the hub clears it', () => {
    const { link, outbox } = setup();
    outbox.snapshot('ConfigMap', [], 'snap-2');
    expect(link.take()).toEqual([
      { type: 'inventory.snapshot', kind: 'ConfigMap', snapshotId: 'snap-2', items: [], last: true },
    ]);
  });
});

describe('outbox: a snapshot streamed while its kind is listed', () => {
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => cm(`${prefix}${i}`));
  const snapshotChunks = (ms: AgentMessage[]) =>
    ms.flatMap((m) => (m.type === 'inventory.snapshot' ? [[m.snapshotId, m.items.length, m.last]] : []));

  it('sends whole chunks as pages come, the rest and the last mark only at close, and changes of other kinds meanwhile', () => {
    const { link, outbox } = setup();
    expect(outbox.openSnapshot('ConfigMap', 's1')).toBe(true);
    expect(outbox.snapshotPage('ConfigMap', 's1', many('a', SNAPSHOT_CHUNK - 1))).toBe(true);
    expect(snapshotChunks(link.take())).toEqual([]); // not a whole chunk yet: one hub transaction per chunk
    expect(outbox.snapshotPage('ConfigMap', 's1', many('b', 2))).toBe(true);
    expect(snapshotChunks(link.take())).toEqual([['s1', SNAPSHOT_CHUNK, false]]);
    // Another kind's change is not held back by the open snapshot.
    outbox.upsert(node('n1'));
    outbox.flush();
    expect(link.take().map((m) => m.type)).toEqual(['inventory.changes']);
    expect(outbox.closeSnapshot('ConfigMap', 's1')).toBe(true);
    expect(snapshotChunks(link.take())).toEqual([['s1', 1, true]]);
  });

  it('a reconnect in the middle drops the stream: its pages are refused and close says to send the kind whole', () => {
    const { link, outbox } = setup();
    let generation = 1;
    Object.assign(link.sender, { generation: () => generation });
    outbox.openSnapshot('ConfigMap', 's1');
    outbox.snapshotPage('ConfigMap', 's1', many('a', SNAPSHOT_CHUNK));
    expect(snapshotChunks(link.take())).toEqual([['s1', SNAPSHOT_CHUNK, false]]);
    generation = 2; // the link reconnected: the hub may not have that chunk
    expect(outbox.snapshotPage('ConfigMap', 's1', many('b', 1))).toBe(false);
    expect(outbox.closeSnapshot('ConfigMap', 's1')).toBe(false);
    // Nothing of s1 after the reconnect, above all no last chunk (the hub would delete what it missed).
    expect(snapshotChunks(link.take())).toEqual([]);
    // What the agent then sends: the whole kind.
    outbox.snapshot('ConfigMap', [cm('a'), cm('b')], 's2');
    expect(snapshotChunks(link.take())).toEqual([['s2', 2, true]]);
  });

  it('cannot start while the link is down, and a list that starts over supersedes the open stream', () => {
    const { link, outbox } = setup();
    link.connected = false;
    expect(outbox.openSnapshot('ConfigMap', 's0')).toBe(false);
    link.connected = true;
    outbox.openSnapshot('ConfigMap', 's1');
    outbox.snapshotPage('ConfigMap', 's1', many('a', SNAPSHOT_CHUNK));
    outbox.openSnapshot('ConfigMap', 's2'); // the list's continue token expired: it starts over
    expect(outbox.snapshotPage('ConfigMap', 's1', [cm('b')])).toBe(false);
    outbox.snapshotPage('ConfigMap', 's2', [cm('a')]);
    expect(outbox.closeSnapshot('ConfigMap', 's2')).toBe(true);
    expect(snapshotChunks(link.take())).toEqual([
      ['s1', SNAPSHOT_CHUNK, false],
      ['s2', 1, true],
    ]);
  });
});
