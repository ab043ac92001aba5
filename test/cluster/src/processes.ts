// Our own processes for fault tests: started from built entry points (so a
// SIGKILL kills exactly what production runs), their output kept for failure
// messages, and — on request — their memory sampled from inside (RSS and V8
// heap, via a preload that reports over the IPC channel).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The built `wheelhouse` CLI (tests run after `npx tsc -b`). */
export const WHEELHOUSE_CLI = fileURLToPath(new URL('../../../../packages/cli/dist/src/main.js', import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Memory of a process after a full GC. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** Buffers live outside the V8 heap: a relay that buffers bytes shows here, not in heapUsed. */
  arrayBuffers: number;
}

interface SampleMessage extends MemorySample {
  type: 'wheelhouse-test-memory';
}

let preload: string | undefined;
/**
 * A CommonJS preload that reports process.memoryUsage() every 500 ms, after a
 * full GC (the process runs with --expose-gc): the samples are what the process
 * retains, not garbage that happens not to be collected yet. It does not keep
 * the process alive.
 */
function memoryPreload(): string {
  if (preload) return preload;
  preload = join(mkdtempSync(join(tmpdir(), 'wh-mem-')), 'sample-memory.cjs');
  writeFileSync(
    preload,
    `const t = setInterval(() => {
  global.gc();
  const m = process.memoryUsage();
  if (process.connected) process.send({ type: 'wheelhouse-test-memory', rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers });
}, 500);
t.unref();
if (process.channel) process.channel.unref();
`,
  );
  return preload;
}

export interface TestProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the output once it matches (rejects if the process exits first). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Memory samples so far (only with sampleMemory). */
  readonly samples: MemorySample[];
  /** Peak RSS and heap over the samples taken so far. */
  peak(): MemorySample;
  /** SIGKILL, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, resolved once the process is gone. */
  stop(): Promise<void>;
  readonly exited: Promise<number | string>;
}

export function startProcess(
  args: string[],
  opts: { sampleMemory?: boolean; env?: NodeJS.ProcessEnv; label?: string } = {},
): TestProcess {
  const nodeArgs = opts.sampleMemory ? ['--expose-gc', '--require', memoryPreload()] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: opts.sampleMemory ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  if (child.pid === undefined) throw new Error(`could not start ${opts.label ?? args.join(' ')}`);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer): void => {
    // Keep the head and the tail: failure messages need both, memory must stay bounded.
    out = out.length > 400_000 ? out.slice(0, 100_000) + out.slice(-200_000) + c.toString() : out + c.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const samples: MemorySample[] = [];
  child.on('message', (m: unknown) => {
    const s = m as Partial<SampleMessage>;
    if (
      s.type === 'wheelhouse-test-memory' &&
      typeof s.rss === 'number' &&
      typeof s.heapUsed === 'number' &&
      typeof s.arrayBuffers === 'number'
    )
      samples.push({ rss: s.rss, heapUsed: s.heapUsed, arrayBuffers: s.arrayBuffers });
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l();
      resolve(code ?? signal ?? '');
    }),
  );
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (!gone()) child.kill(signal);
    await exited;
  };
  return {
    child,
    pid: child.pid,
    output: () => out,
    samples,
    peak: () => peakOf(samples),
    kill9: () => kill('SIGKILL'),
    stop: () => kill('SIGTERM'),
    exited,
    waitForOutput: (re, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            done();
            resolve(m);
          } else if (gone()) {
            done();
            reject(new Error(`${opts.label ?? 'process'} exited before printing ${String(re)}:\n${out.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${opts.label ?? 'process'} did not print ${String(re)} in ${timeoutMs} ms:\n${out.slice(-4000)}`,
            ),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}

/**
 * Samples this process's own memory after a full GC, like the preload does for children. A test
 * process's heap is large (vitest, the modules under test): a GC costs tens of ms, so not too often.
 */
export function sampleOwnMemory(everyMs = 1000): { samples: MemorySample[]; stop(): void; now(): MemorySample } {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const now = (): MemorySample => {
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
  };
  const samples: MemorySample[] = [];
  const t = setInterval(() => samples.push(now()), everyMs);
  return { samples, now, stop: () => clearInterval(t) };
}

export function peakOf(samples: readonly MemorySample[]): MemorySample {
  return samples.reduce(
    (a, s) => ({
      rss: Math.max(a.rss, s.rss),
      heapUsed: Math.max(a.heapUsed, s.heapUsed),
      arrayBuffers: Math.max(a.arrayBuffers, s.arrayBuffers),
    }),
    { rss: 0, heapUsed: 0, arrayBuffers: 0 },
  );
}
