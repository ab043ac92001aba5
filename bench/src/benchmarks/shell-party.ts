// One party of the shell benchmark in its own process, as deployed: `hub` or
// `agent` (node shell-party.js hub|agent). Driven over the IPC channel by
// shell-echo.ts: the hub says where it listens and with which tokens, and when
// the bench pod is Running in its inventory; each answers "usage" with its CPU
// time (and the agent its shell counters) and exits on "stop".
// BENCH_SHELL_WINDOW=bytes sets the hub's output window.
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import pino from 'pino';
import { loadKubeConfig, startAgent } from '@wheelhouse/agent';
import { createHub } from '@wheelhouse/hub';
import { benchToken } from '../bench-token.js';

export interface PartyUsage {
  cpuMicros: number;
  /** The part of cpuMicros spent in the kernel (socket copies, TCP on loopback). */
  sysMicros: number;
  /** Garbage collections so far, their pause in all, and the longest since the previous usage report. */
  gc: { count: number; ms: number; maxMs: number };
  shell?: {
    outputFrames: number;
    outputBytes: number;
    outputPauses: number;
    outputPausedMs: number;
    maxInFlightBytes: number;
  };
}

type Request = { type: 'usage' } | { type: 'stop' };
const send = (m: unknown): void => void process.send?.(m);

async function hub(
  ns: string,
  pod: string,
  recordedNs?: string,
): Promise<{ usage: () => PartyUsage; stop: () => Promise<void> }> {
  // Bulk output is not recorded (20 MB would pass the recording cap); with recordedNs the echo rounds run in
  // a recorded session, as a default hub records every shell, with the store on disk as deployed.
  const dataDir = recordedNs ? join(await mkdtemp(join(tmpdir(), 'wh-bench-shell-')), 'hub.db') : undefined;
  const h = await createHub({
    logger: false,
    ...(dataDir ? { dataDir } : {}),
    shell: {
      record: false,
      ...(recordedNs ? { clusters: { bench: { namespaces: { [recordedNs]: { record: true } } } } } : {}),
      ...(process.env.BENCH_SHELL_WINDOW ? { window: Number(process.env.BENCH_SHELL_WINDOW) } : {}),
    },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const created = await h.clusters.create('bench', 'bench');
  if (!created) throw new Error('cluster exists');
  const token = await benchToken(h.db, { role: 'operator' });
  send({ type: 'listening', url, agentToken: created.token, token });
  void (async () => {
    for (let i = 0; ; i++) {
      const phases = await Promise.all(
        [ns, ...(recordedNs ? [recordedNs] : [])].map(
          async (n) => (await h.inventory.get('bench', 'Pod', n, pod))?.summary.phase,
        ),
      );
      if (phases.every((x) => x === 'Running')) return send({ type: 'ready' });
      if (i > 300) return send({ type: 'error', message: 'the bench pod never ran' });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    usage: () => ({ ...cpu(), gc: gcSinceLast() }),
    stop: async () => {
      await h.close();
      if (dataDir) await rm(dirname(dataDir), { recursive: true, force: true });
    },
  };
}

async function agent(): Promise<{ usage: () => PartyUsage; stop: () => Promise<void> }> {
  const a = await startAgent({
    hubUrl: process.env.BENCH_HUB_URL ?? '',
    token: process.env.BENCH_AGENT_TOKEN ?? '',
    kubeConfig: loadKubeConfig(process.env.BENCH_KUBECONFIG ?? ''),
    capabilities: { basic: false, advanced: false, podExec: true },
    log: pino({ level: 'silent' }),
    flushMs: 50,
  });
  return { usage: () => ({ ...cpu(), gc: gcSinceLast(), shell: a.shell.stats() }), stop: () => a.stop() };
}

// GC pauses stop this party's event loop: counted so the echo figures can be told apart from them.
const gc = { count: 0, ms: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.ms += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

function gcSinceLast(): PartyUsage['gc'] {
  const r = { ...gc };
  gc.maxMs = 0;
  return r;
}

function cpu(): { cpuMicros: number; sysMicros: number } {
  const u = process.cpuUsage();
  return { cpuMicros: u.user + u.system, sysMicros: u.system };
}

const role = process.argv[2];
const party = role === 'hub' ? await hub(process.argv[3] ?? '', process.argv[4] ?? '', process.argv[5]) : await agent();
if (role === 'agent') send({ type: 'ready' });
process.on('message', (m: Request) => {
  if (m.type === 'usage') send({ type: 'usage', usage: party.usage() });
  else
    void party.stop().finally(() => {
      process.exit(0);
    });
});
