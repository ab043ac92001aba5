// Durable before answering: exec guard records each interaction on disk before
// it lets the exec through. Here it is killed (SIGKILL) while execs are in
// flight — some admitted, one being admitted, the rest refused once it is gone
// — and restarted on the same data directory: every exec the API server allowed
// (kubectl exec succeeded) ends up labelled with its original interaction
// time, and each labelled pod is evicted at its original termination time.
// The first process is pointed at an unreachable API server, so nothing can be
// labelled before the kill: all of it comes from the journal.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@wheelhouse/test-cluster/processes';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../src/certs.js';
import { INTERACTION_TIMESTAMP_LABEL, TERMINATION_TIME_ANNOTATION } from '../src/labels.js';
import {
  core,
  createPods,
  execIn,
  guardProcessArgs,
  registerWebhooks,
  scrape,
  tempDir,
  uniqueName,
} from './cluster-helpers.js';

// The built entry (tests run after `tsc -b`).
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
// Long enough that the execs up to the kill (slow on a loaded 2-core machine) and the restart fit before the first is due.
const TTL_SECONDS = 30;
const N = 24;
/** Kill once this many interactions are recorded: about half of the execs. */
const KILL_AFTER = 10;

describe('kill -9 while execs are in flight', () => {
  let ns: string;
  let dir: string;
  let port: number;
  let cert: { cert: string; key: string; caBundle?: string };
  let certPath: string;
  let keyPath: string;
  let child: ChildProcess | undefined;
  let removeWebhooks: () => Promise<void>;
  let logs = '';
  const lease = uniqueName('lease');

  const startGuard = (extra: string[]): ChildProcess => {
    const p = spawn(
      process.execPath,
      [
        MAIN,
        ...guardProcessArgs({
          certPath,
          keyPath,
          port,
          ttlSeconds: TTL_SECONDS,
          ns,
          dataDir: join(dir, 'data'),
          lease,
        }),
        '--lease-duration',
        '3s',
        '--renew-deadline',
        '2s',
        '--retry-period',
        '500ms',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    logs += `--- exec guard started ${extra.join(' ')}\n`;
    p.on('exit', (code, signal) => (logs += `--- exec guard exited: ${code ?? signal ?? ''}\n`));
    p.stdout.on('data', (c: Buffer) => (logs += c.toString()));
    p.stderr.on('data', (c: Buffer) => (logs += c.toString()));
    return p;
  };

  const recorded = async (): Promise<number> => {
    const body = await scrape(`https://127.0.0.1:${port}/metrics`, cert.cert);
    const m = /exec_guard_interactions_total\{operation="exec",outcome="recorded"\} (\d+)/.exec(body);
    return Number(m?.[1] ?? 0);
  };

  beforeAll(async () => {
    ns = await testNamespace('eg-crash');
    dir = await tempDir();
    port = await freePort();
    cert = await selfSignedCert([]);
    certPath = join(dir, 'tls.crt');
    keyPath = join(dir, 'tls.key');
    await writeFile(certPath, cert.cert);
    await writeFile(keyPath, cert.key);
    ({ remove: removeWebhooks } = await registerWebhooks(`https://127.0.0.1:${port}`, cert.caBundle ?? '', [ns]));
    await createPods(ns, ['probe', ...Array.from({ length: N }, (_, i) => `p${i}`)]);
  });

  afterAll(async () => {
    await removeWebhooks();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('labels every exec the API server allowed after a restart, and evicts each at its original termination time', async () => {
    child = startGuard(['--api-server', 'https://127.0.0.1:1', '--log-level', 'error']);
    await eventually(
      'exec guard to serve',
      async () => (await scrape(`https://127.0.0.1:${port}/health/readiness`, cert.cert)).includes('ready'),
      { timeoutMs: 30_000 },
    );
    await eventually(
      'the API server to call exec guard on exec',
      async () => {
        await execIn(ns, 'probe', ['true']);
        return (await recorded()) > 0;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const probes = await recorded();

    // Four execs at a time over N pods; the guard is killed in the middle of them.
    const execAt = new Map<string, number>();
    const allowed = new Map<string, number>();
    const refused = new Map<string, string>();
    const queue = Array.from({ length: N }, (_, i) => `p${i}`);
    const worker = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const start = Date.now();
        execAt.set(name, start);
        try {
          expect(await execIn(ns, name, ['echo', `in-${name}`])).toBe(`in-${name}\n`);
          allowed.set(name, Date.now());
        } catch (err) {
          refused.set(name, (err as { stderr?: string }).stderr ?? String(err));
        }
      }
    };
    const execs = Promise.all([worker(), worker(), worker(), worker()]);
    await eventually('half of the interactions recorded', async () => (await recorded()) - probes >= KILL_AFTER, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    const guard = child;
    guard.kill('SIGKILL');
    await new Promise((r) => guard.once('exit', r));
    await execs;
    // The kill landed mid-way: some execs went through, later ones were refused (failurePolicy Fail).
    expect(allowed.size).toBeGreaterThanOrEqual(KILL_AFTER - 4);
    expect(refused.size).toBeGreaterThan(0);
    for (const [name, stderr] of refused) expect(stderr, name).toMatch(/webhook/i);

    // Nothing was applied before the kill.
    const before = (await core.listNamespacedPod({ namespace: ns })).items;
    expect(before.filter((p) => p.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL] !== undefined)).toEqual([]);

    // Restart on the same data directory, now reaching the cluster.
    child = startGuard(['--log-level', 'info']);
    const labelled = await eventually(
      'every allowed exec to be labelled after the restart',
      async () => {
        const pods = (
          await core.listNamespacedPod({ namespace: ns, labelSelector: INTERACTION_TIMESTAMP_LABEL })
        ).items.filter((p) => p.metadata?.name !== 'probe');
        const names = new Set(pods.map((p) => p.metadata?.name));
        return [...allowed.keys()].every((n) => names.has(n)) ? pods : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}\nexec guard output:\n${logs.slice(logs.lastIndexOf('--- exec guard started')).slice(0, 6000)}`,
      );
    });
    // A refused exec may have been journalled just before the kill (recorded, never answered): labelling
    // it errs on the safe side. Nothing else may be labelled.
    for (const p of labelled) expect(execAt.has(p.metadata?.name ?? ''), p.metadata?.name).toBe(true);
    if (process.env.WHEELHOUSE_TEST_LOG)
      console.log({ allowed: allowed.size, refused: refused.size, labelled: labelled.length });
    // All labelled before the first is due, so the evictions below are observed from the start.
    expect(Date.now()).toBeLessThan(Math.min(...execAt.values()) + TTL_SECONDS * 1000 - 2000);

    const due = new Map<string, { uid: string; at: number }>();
    for (const p of labelled) {
      const name = p.metadata?.name ?? '';
      const ts = Number(p.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL]) * 1000;
      // The label carries the time of the exec, not of the (late) application.
      expect(ts).toBeGreaterThanOrEqual(Math.floor((execAt.get(name) ?? 0) / 1000) * 1000);
      const done = allowed.get(name);
      if (done !== undefined) expect(ts).toBeLessThanOrEqual(done);
      const at = Date.parse(p.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '');
      expect(at).toBe(ts + TTL_SECONDS * 1000);
      due.set(name, { uid: p.metadata?.uid ?? '', at });
    }

    // Each pod goes at its time, not before.
    const goneAt = new Map<string, number>();
    await eventually(
      'every labelled pod to be evicted',
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns })).items;
        const now = Date.now();
        for (const [name, d] of due) {
          if (goneAt.has(name)) continue;
          const p = pods.find((x) => x.metadata?.uid === d.uid);
          if (!p || p.metadata?.deletionTimestamp) goneAt.set(name, now);
        }
        return goneAt.size === due.size;
      },
      { timeoutMs: (TTL_SECONDS + 30) * 1000, intervalMs: 250 },
    );
    for (const [name, d] of due) {
      const at = goneAt.get(name) ?? 0;
      expect(at, `${name} evicted too early`).toBeGreaterThanOrEqual(d.at);
      expect(at, `${name} evicted too late`).toBeLessThan(d.at + 6000);
    }
  }, 180_000);
});
