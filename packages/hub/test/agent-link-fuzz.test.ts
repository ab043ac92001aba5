// The agent link, fuzzed as routes-fuzz.test.ts fuzzes the API: a compromised
// agent of cluster "rogue" (its own, valid token) sends random sequences of
// well-formed, hostile, malformed and binary messages. After each sequence:
// the hub still answers, the link is open or was closed with a protocol code,
// nothing of the other cluster ("victim": inventory, timeline, commands) and
// no hub-owned timeline event (`shell`, an action's state) was written, and
// whatever the rogue agent got stored is its own cluster's. Effects are read
// from the store (every table, before and after).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  MAX_FRAME_BYTES,
  RESOURCE_KIND_NAMES,
  SHELL_CHANNELS,
  TIMELINE_EVENT_TYPES,
  encodeShellFrame,
  type ActionRequest,
} from '@wheelhouse/protocol';
import { validateActionRequest } from '../src/commands/command-service.js';
import { eventually } from '@wheelhouse/test-cluster/testing';
import { createHub, type Hub } from '../src/server.js';
import { changesDuring, describeChange, type RowChange } from './support/db-snapshot.js';
import { configMapItem, rawAgent, type RawAgent } from './support/raw-agent.js';

const FUZZ_RUNS = Number(process.env.WHEELHOUSE_FUZZ_RUNS ?? 30);

let victimCommand = '';
const ids = (): fc.Arbitrary<string> =>
  fc.oneof(
    // Read when generated: the victim's command exists only once beforeAll ran.
    fc.constant(null).map(() => victimCommand),
    fc.uuid(),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('', '__proto__', 'victim', '../victim'),
  );
const hostileString = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', 'victim', 'Secret', '__proto__', '\u0000', 'a'.repeat(5000)),
);

/** A timeline event, often valid, of any type (hub-owned ones included) and hostile fields. */
const timelineEvent = fc.record({
  id: fc.string({ minLength: 1, maxLength: 30 }),
  time: fc.oneof(fc.integer({ min: 0 }), fc.double()),
  type: fc.constantFrom(...TIMELINE_EVENT_TYPES, 'invented'),
  severity: fc.constantFrom('info', 'warning', 'error', 'fatal'),
  kind: fc.constantFrom('Pod', 'Node', 'Secret', 'Invented'),
  namespace: fc.constantFrom('', 'default', 'team-a'),
  name: hostileString,
  summary: fc.string({ maxLength: 80 }),
  data: fc.oneof(
    fc.record({
      phase: fc.constantFrom('start', 'end', 'denied'),
      sessionId: fc.uuid(),
      user: fc.constantFrom('admin', 'alice'),
      container: fc.constant('app'),
      command: fc.constant(['sh']),
      clientAddress: fc.constant('10.0.0.1'),
      reason: fc.constant('denied'),
      message: fc.constant('forged'),
    }),
    fc.record({
      commandId: ids(),
      action: fc.constantFrom('drain', 'scale'),
      node: fc.constant('kwok-node-0'),
      step: fc.constantFrom('blocked', 'evicted'),
      state: fc.constantFrom('succeeded', 'failed'),
      requestedBy: fc.constant('admin'),
      reason: fc.constant(null),
      message: fc.constant(null),
    }),
    fc.record({ from: fc.constant(null), to: fc.constant('Running'), reason: fc.constant(null) }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
});

const item = fc
  .record({
    kind: fc.constantFrom(...RESOURCE_KIND_NAMES, 'Secret', 'Invented'),
    namespace: fc.constantFrom('', 'team-a', 'victim'),
    name: fc.string({ minLength: 1, maxLength: 20 }),
  })
  .map(({ kind, namespace, name }) => ({ ...configMapItem(namespace, name), kind }));

/** Timeline events that pass the schema, hub-owned types included: what the hub must refuse by type, not by shape. */
const validEvent = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 30 }),
    time: fc.integer({ min: 0 }),
    severity: fc.constantFrom('info', 'warning', 'error'),
    kind: fc.constantFrom('Pod', 'Node'),
    namespace: fc.constantFrom('', 'team-a'),
    name: fc.string({ maxLength: 20 }),
    summary: fc.string({ maxLength: 40 }),
    commandId: ids(),
    sessionId: fc.uuid(),
    which: fc.constantFrom('shell-start', 'shell-denied', 'action-state', 'action-drain', 'node-condition'),
  })
  .map(({ which, commandId, sessionId, ...base }) => {
    switch (which) {
      case 'shell-start':
        return {
          ...base,
          type: 'shell',
          data: { phase: 'start', sessionId, user: 'admin', container: 'app', command: ['sh'], clientAddress: 'x' },
        };
      case 'shell-denied':
        return {
          ...base,
          type: 'shell',
          data: { phase: 'denied', user: 'admin', reason: 'denied', message: 'forged' },
        };
      case 'action-state':
        return {
          ...base,
          type: 'action',
          data: { commandId, action: 'scale', state: 'succeeded', requestedBy: 'admin', reason: null, message: null },
        };
      case 'action-drain':
        return { ...base, type: 'action', data: { commandId, action: 'drain', node: 'kwok-node-0', step: 'evicted' } };
      default:
        return { ...base, type: 'node-condition', data: { condition: 'Ready', from: null, to: 'False' } };
    }
  });

/** Messages that pass the link's schemas, aimed at another cluster and at what only the hub may write. */
const wellFormed: fc.Arbitrary<{ text: string } | { binary: Buffer }> = fc.oneof(
  fc
    .record({ type: fc.constant('timeline'), events: fc.array(validEvent, { minLength: 1, maxLength: 4 }) })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({
      type: fc.constant('inventory.snapshot'),
      kind: fc.constant('ConfigMap'),
      snapshotId: fc.constantFrom('v1', 's1', 's2'),
      items: fc.array(
        fc
          .tuple(fc.constantFrom('team-a', 'victim'), fc.constantFrom('settings', 'other'))
          .map(([ns, name]) => configMapItem(ns, name)),
        { maxLength: 3 },
      ),
      last: fc.boolean(),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({
      type: fc.constant('inventory.changes'),
      upserts: fc.constant([]),
      deletes: fc.constant([{ kind: 'ConfigMap', uid: 'uid-team-a-settings', namespace: 'team-a', name: 'settings' }]),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({
      type: fc.constant('command.update'),
      id: ids(),
      state: fc.constantFrom('running', 'succeeded', 'failed', 'rejected'),
      message: fc.string({ maxLength: 40 }),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
);

/** One agent message: well-formed ones of every type with hostile values, and garbage. */
const message: fc.Arbitrary<{ text: string } | { binary: Buffer }> = fc.oneof(
  { arbitrary: wellFormed, weight: 8 },
  fc
    .record({
      type: fc.constant('inventory.snapshot'),
      kind: fc.constantFrom(...RESOURCE_KIND_NAMES, 'Secret', 'Invented'),
      snapshotId: fc.string({ maxLength: 200 }),
      items: fc.array(item, { maxLength: 4 }),
      last: fc.boolean(),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({
      type: fc.constant('inventory.changes'),
      upserts: fc.array(item, { maxLength: 4 }),
      deletes: fc.array(
        fc.record({
          kind: fc.constantFrom('ConfigMap', 'Pod', 'Invented'),
          uid: fc.constantFrom('uid-team-a-settings', 'uid-x'),
          namespace: fc.constantFrom('team-a', ''),
          name: fc.constant('settings'),
        }),
        { maxLength: 3 },
      ),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({ type: fc.constant('timeline'), events: fc.array(timelineEvent, { maxLength: 4 }) })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({
      type: fc.constant('command.update'),
      id: ids(),
      state: fc.constantFrom('running', 'succeeded', 'failed', 'rejected', 'expired'),
      message: fc.string({ maxLength: 40 }),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc
    .record({
      type: fc.constantFrom('logs.data', 'logs.end', 'object.result', 'shell.opened', 'shell.exit', 'shell.closed'),
      streamId: ids(),
      requestId: ids(),
      sessionId: fc.uuid(),
      text: fc.string({ minLength: 1, maxLength: 40 }),
      reason: fc.constantFrom('eof', 'closed', 'error'),
      code: fc.integer(),
      command: fc.constant(['sh']),
      window: fc.integer({ min: 1024, max: 1 << 20 }),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc.record({ type: fc.constantFrom('ping', 'pong', 'hello', 'welcome'), t: fc.integer() }).map((m) => ({
    text: JSON.stringify(m),
  })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) })),
  fc.string({ maxLength: 200 }).map((text) => ({ text })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ binary: Buffer.from(b) })),
  fc
    .tuple(fc.uuid(), fc.uint8Array({ maxLength: 100 }))
    .map(([id, b]) => ({ binary: encodeShellFrame(id, SHELL_CHANNELS.stdout, b) })),
);

/** Rows of the store that belong to the victim cluster, or are hub-owned timeline events. */
function forbidden(changes: readonly RowChange[]): string[] {
  const out: string[] = [];
  for (const c of changes) {
    const row = c.after ?? c.before ?? {};
    const cluster = row.cluster_id;
    if (cluster === 'victim') out.push(`victim's data changed: ${describeChange(c)}`);
    if (c.table === 'timeline_events' && (row.type === 'shell' || row.type === 'action'))
      out.push(`hub-owned event accepted from an agent: ${describeChange(c)}`);
    if (c.table === 'commands' || c.table === 'command_transitions') out.push(`a command moved: ${describeChange(c)}`);
  }
  return out;
}

describe('agent link fuzz', () => {
  let hub: Hub;
  let rogueToken = '';

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const victim = await hub.clusters.create('victim', 'test');
    const rogue = await hub.clusters.create('rogue', 'test');
    if (!victim || !rogue) throw new Error('clusters exist');
    rogueToken = rogue.token;
    const v = await rawAgent(hub, victim.token);
    v.send({
      type: 'inventory.snapshot',
      kind: 'ConfigMap',
      snapshotId: 'v1',
      items: [configMapItem('team-a', 'settings')],
      last: true,
    });
    const view = await eventually('the victim connected with its tiers', async () => {
      const c = await hub.clusters.get('victim');
      return c?.capabilities.advanced && (await hub.inventory.get('victim', 'ConfigMap', 'team-a', 'settings'))
        ? c
        : undefined;
    });
    const req: ActionRequest = {
      action: 'annotate',
      target: { kind: 'ConfigMap', namespace: 'team-a', name: 'settings' },
      params: { key: 'example.com/x', value: '1' },
      reason: 'fuzz',
      dryRun: false,
    };
    victimCommand = (await hub.commands.create('tester', view, req, validateActionRequest(view, req).params)).id;
    v.ws.close();
    await v.closed;
  });
  afterAll(() => hub.close());

  async function sendAll(agent: RawAgent, msgs: readonly ({ text: string } | { binary: Buffer })[]): Promise<string> {
    for (const m of msgs) {
      if ('binary' in m) agent.sendRaw(m.binary, true);
      else agent.sendRaw(m.text);
    }
    // A ping behind the sequence: its pong means everything before it was handled (the queue is ordered).
    agent.send({ type: 'ping', t: 424242 });
    const pong = new Promise<string>((resolve) =>
      agent.ws.on('message', (d: Buffer) => {
        if (d.toString().includes('424242')) resolve('open');
      }),
    );
    const closed = agent.closed.then(({ code }) => `closed ${code}`);
    return Promise.race([pong, closed]);
  }

  it('random agent messages never crash the hub, never touch another cluster, never become hub-owned events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), async (msgs) => {
        const agent = await rawAgent(hub, rogueToken);
        const { result: outcome, changes } = await changesDuring(hub.db, () => sendAll(agent, msgs));
        agent.ws.close();
        await agent.closed;
        // Open, or closed for a protocol error — never a crash (1011) or a silent drop.
        expect(['open', `closed ${CLOSE_CODES.protocolError}`, 'closed 1007']).toContain(outcome);
        expect(forbidden(changes)).toEqual([]);
        expect((await hub.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      }),
      // No shrinking: a counterexample is reported as found (each run opens a link; shrinking would take minutes).
      { numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    // The victim's data is what it was.
    const rows = await hub.db.selectFrom('resources').select(['name']).where('cluster_id', '=', 'victim').execute();
    expect(rows.map((r) => r.name)).toEqual(['settings']);
    expect((await hub.commands.get(victimCommand))?.state).toBe('pending');
  }, 120_000);

  it('a frame over MAX_FRAME_BYTES (8 MiB) closes the link (1009) before the hub buffers it; the hub goes on', async () => {
    const agent = await rawAgent(hub, rogueToken);
    agent.sendRaw(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20));
    expect((await agent.closed).code).toBe(1009);
    expect((await hub.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
