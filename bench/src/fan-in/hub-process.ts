// A hub in its own process, as deployed (`wheelhouse hub`, SQLite data dir), so
// the load generator's clients do not share its thread: signed in as the first
// admin (the one-time password replaced, as the console makes one do), with
// an API token for setup calls and the session cookie browsers use.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';

export interface HubFigures {
  /** process.cpuUsage() of the hub process (user + system), seconds. */
  cpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Live messages the hub dropped for slow browser sockets (wheelhouse_live_dropped_total). */
  liveDropped: number;
  /** SQLite WAL checkpoints so far, by the worker thread and on the hub's event loop (0 for a hub without the worker). */
  walCheckpoints: { worker: number; hub: number };
  /** Length of the hub's -wal file now (0 when the hub does not report it). */
  walBytes: number;
}

export interface HubProcess {
  url: string;
  pid: number;
  /** `name=value` of the admin's session cookie, as a browser sends it. */
  cookie: string;
  /** Registers a cluster; its agent token. */
  addCluster(name: string): Promise<string>;
  /** CPU, RSS and V8 heap, from the hub's own /metrics (prom-client's process and Node.js collectors). */
  figures(): Promise<HubFigures>;
  /** The hub's /metrics text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
  output(): string;
  /** With FANIN_HEAP_DIR and FANIN_HEAP_SNAPSHOT=1: asks the hub for a heap snapshot (live objects, after a full GC) into that directory. */
  heapSnapshot(): void;
}

export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`/metrics has no ${name}`);
  return Number(m[1]);
}

/** A metric with these labels, or 0 when the hub does not have it (an older build). */
export function metricOr0(text: string, name: string, labels = ''): number {
  const escaped = labels.replace(/[{}]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${name}${escaped} ([0-9.e+-]+)$`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) : 0;
}

/**
 * Node flags for the hub's heap when FANIN_HEAP_DIR names a directory: heap-probe.ts preloaded (the
 * main thread's heap every 100 ms, its peak by space, written there at exit) and a heap snapshot
 * there on SIGUSR2 (HubProcess.heapSnapshot).
 */
export function heapProbeArgs(dir = process.env.FANIN_HEAP_DIR): string[] {
  if (!dir) return [];
  return [
    // More V8 flags for the hub (--trace-gc-nvp, --predictable-gc-schedule …), its output kept in the directory.
    ...(process.env.FANIN_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    '--import',
    new URL('./heap-probe.js', import.meta.url).href,
    '--heapsnapshot-signal=SIGUSR2',
    `--diagnostic-dir=${dir}`,
  ];
}

/**
 * nodeArgs: Node's own flags for the hub (--cpu-prof …); the fan-in bench passes --cpu-prof when FANIN_CPU_PROF names a directory.
 * FANIN_HUB_CLI: another build's CLI (its packages/cli/dist/src/main.js) to run as the hub, driven by this bench.
 */
export async function startHubProcess(dataDir: string, nodeArgs: string[] = []): Promise<HubProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const node = [...nodeArgs, ...heapProbeArgs()];
  const cli = process.env.FANIN_HUB_CLI ?? WHEELHOUSE_CLI;
  const proc: TestProcess = startProcess(
    [...node, cli, 'hub', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'warn'],
    { label: 'hub' },
  );
  const heapDir = process.env.FANIN_HEAP_DIR;
  if (heapDir) {
    // All of it (proc.output() keeps a bounded head and tail): V8's GC trace lines when FANIN_HUB_NODE_ARGS asks for them.
    const file = createWriteStream(join(heapDir, `hub-output-${proc.pid}.txt`));
    proc.child.stdout?.pipe(file);
  }
  try {
    await proc.waitForOutput(/wheelhouse hub listening on/);
    const password = /one-time password: (\S+)/.exec(proc.output())?.[1];
    if (!password) throw new Error('the hub printed no one-time admin password');
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    if (login.status !== 200) throw new Error(`login: HTTP ${login.status}`);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const next = 'fan-in-bench-password-1';
    const changed = await fetch(`${url}/api/v1/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ current: password, next }),
    });
    if (changed.status !== 204) throw new Error(`password change: HTTP ${changed.status}`);
    const tok = await fetch(`${url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ name: 'fan-in-bench', password: next }),
    });
    const { token } = (await tok.json()) as { token: string };
    if (!token) throw new Error(`API token: HTTP ${tok.status}`);
    return {
      url,
      pid: proc.pid,
      cookie,
      output: () => proc.output(),
      addCluster: async (name) => {
        const res = await fetch(`${url}/api/v1/clusters`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        const body = (await res.json()) as { token?: string };
        if (res.status !== 201 || !body.token) throw new Error(`add cluster ${name}: HTTP ${res.status}`);
        return body.token;
      },
      metrics: async () => (await fetch(`${url}/metrics`)).text(),
      figures: async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return {
          cpuSeconds:
            metric(text, 'wheelhouse_hub_process_cpu_user_seconds_total') +
            metric(text, 'wheelhouse_hub_process_cpu_system_seconds_total'),
          rssBytes: metric(text, 'wheelhouse_hub_process_resident_memory_bytes'),
          heapUsedBytes: metric(text, 'wheelhouse_hub_nodejs_heap_size_used_bytes'),
          liveDropped: metric(text, 'wheelhouse_live_dropped_total'),
          walCheckpoints: {
            worker: metricOr0(text, 'wheelhouse_store_wal_checkpoints_total', '{by="worker"}'),
            hub: metricOr0(text, 'wheelhouse_store_wal_checkpoints_total', '{by="hub"}'),
          },
          walBytes: metricOr0(text, 'wheelhouse_store_wal_bytes'),
        };
      },
      stop: () => proc.stop(),
      heapSnapshot: () => {
        if (process.env.FANIN_HEAP_DIR && process.env.FANIN_HEAP_SNAPSHOT === '1') process.kill(proc.pid, 'SIGUSR2');
      },
    };
  } catch (err) {
    await proc.kill9();
    throw err;
  }
}
