// The fan-in benchmark's load generator against a real hub process (so the
// bench does not rot as the agent protocol moves): two simulated agents replay
// the committed recording of a real agent — hello, snapshot, then changes with
// the uids and namespaces of later passes renamed — and every message passes
// the hub's validation (a rejected one closes the link with 4400 and the next
// send throws); the browser live sockets on both clusters get every change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPhase } from '../src/benchmarks/fan-in.js';
import { DEFAULT_RECORDING } from '../src/fan-in/record.js';
import { startHubProcess, type HubProcess } from '../src/fan-in/hub-process.js';
import { loadRecording } from '../src/fan-in/replay.js';

function counter(text: string, name: string, type: string): number {
  const m = new RegExp(`^${name}\\{type="${type}"\\} ([0-9.e+-]+)$`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) : 0;
}

describe('fan-in load generator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-fanin-test-'));
  let hub: HubProcess | undefined;
  const clusters: { name: string; token: string }[] = [];

  beforeAll(async () => {
    hub = await startHubProcess(join(dir, 'hub'));
    for (const name of ['fanin-a', 'fanin-b']) clusters.push({ name, token: await hub.addCluster(name) });
  }, 60_000);

  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays a recorded agent that the hub accepts, and browsers get every change', async () => {
    if (!hub) throw new Error('no hub');
    const rec = loadRecording(DEFAULT_RECORDING);
    // 1.5 passes of the recording per agent: the second pass runs with renamed uids and namespaces.
    const seconds = 3;
    const rate = Math.ceil((rec.unitsPerPass * 1.5 * 2) / seconds);
    const r = await runPhase(hub, clusters, rec, { agents: 2, browsers: 3, rate, seconds });
    expect(r.expected).toBeGreaterThan(rec.unitsPerPass * 2); // three sockets, two on one cluster
    expect(r.received).toBe(r.expected);
    expect(r.uncovered).toBe(0);
    expect(r.latencies.length).toBeGreaterThan(0);
    const metrics = await hub.metrics();
    // The hub handled the recorded message types (none refused: a refusal closes the link, and runPhase throws).
    for (const type of ['hello', 'inventory.snapshot', 'inventory.changes', 'timeline', 'insights.changes'])
      expect(counter(metrics, 'wheelhouse_agent_messages_total', type), type).toBeGreaterThan(0);
    expect(counter(metrics, 'wheelhouse_agent_refused_total', 'overloaded')).toBe(0);
  }, 60_000);
});
