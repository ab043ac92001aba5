// Two exec guard replicas as their own processes, one Lease. The leader is
// killed with SIGKILL (no graceful release): the other takes over once the
// lease runs out and evicts what is due, re-armed from the pods' labels.
// Evictions are counted on the API server's side — a validating webhook of the
// test's own on pods/eviction sees every Eviction request, whoever sends it —
// so a replica cannot hide a duplicate, and the Lease says who led when.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { freePort } from '@wheelhouse/test-cluster/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../src/certs.js';
import { TERMINATION_TIME_ANNOTATION } from '../src/labels.js';
import {
  admission,
  core,
  createPods,
  execIn,
  guardProcessArgs,
  kc,
  podGoneOrTerminating,
  readPod,
  registerWebhooks,
  scrape,
  tempDir,
  uniqueName,
} from './cluster-helpers.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const TTL_SECONDS = 4;
const LEASE_MS = 3000;
/**
 * A quiet window waits out whatever could still produce a duplicate eviction: a
 * replica that takes the lease over (at most one lease duration after the last
 * renewal it saw) re-arms the timers of every labelled pod and evicts the ones
 * already due at once. One lease duration plus a retry period covers it.
 */
const QUIET_MS = LEASE_MS + 1000;
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);

interface SeenEviction {
  pod: string;
  at: number;
  user: string;
}

/** The API server's view: a webhook on pods/eviction that records each Eviction request and allows it. */
async function evictionCounter(
  ns: string,
): Promise<{ seen: SeenEviction[]; dryRuns: () => number; stop: () => Promise<void> }> {
  const cert = await selfSignedCert([]);
  const seen: SeenEviction[] = [];
  let dryRuns = 0;
  const server: Server = createHttpsServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as {
        request: { uid: string; name: string; dryRun?: boolean; userInfo?: { username?: string } };
      };
      if (review.request.dryRun) dryRuns++;
      else seen.push({ pod: review.request.name, at: Date.now(), user: review.request.userInfo?.username ?? '' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const name = uniqueName('eviction-counter');
  await admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name },
      webhooks: [
        {
          name: 'evictions.counter.wheelhouse.test',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          // Fail: an eviction the counter did not see cannot happen.
          failurePolicy: 'Fail',
          timeoutSeconds: 5,
          clientConfig: {
            url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
            caBundle: cert.caBundle ?? '',
          },
          rules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE'],
              resources: ['pods/eviction'],
              scope: 'Namespaced',
            },
          ],
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }],
          },
        },
      ],
    },
  });
  return {
    seen,
    dryRuns: () => dryRuns,
    stop: async () => {
      await admission.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
      await new Promise((r) => server.close(r));
    },
  };
}

describe('two exec guard replicas, the leader killed', () => {
  let ns: string;
  let dir: string;
  let lease: string;
  let cert: { cert: string; key: string; caBundle?: string };
  const replicas: { name: string; port: number; child: ChildProcess; logs: string }[] = [];
  let removeWebhooks: () => Promise<void> = () => Promise.resolve();
  let counter: Awaited<ReturnType<typeof evictionCounter>> | undefined;

  const start = async (name: string): Promise<(typeof replicas)[number]> => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        MAIN,
        ...guardProcessArgs({
          certPath: join(dir, 'tls.crt'),
          keyPath: join(dir, 'tls.key'),
          port,
          ttlSeconds: TTL_SECONDS,
          ns,
          dataDir: join(dir, name),
          lease,
        }),
        '--lease-duration',
        `${LEASE_MS / 1000}s`,
        '--renew-deadline',
        '2s',
        '--retry-period',
        '400ms',
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const r = { name, port, child, logs: '' };
    child.stdout.on('data', (c: Buffer) => (r.logs += c.toString()));
    child.stderr.on('data', (c: Buffer) => (r.logs += c.toString()));
    replicas.push(r);
    return r;
  };
  const leading = async (r: (typeof replicas)[number]): Promise<boolean> =>
    /^exec_guard_leader 1$/m.test(await scrape(`https://127.0.0.1:${r.port}/metrics`, cert.cert));
  const readLease = (): Promise<k8s.V1Lease> => coordination.readNamespacedLease({ namespace: ns, name: lease });
  const due = async (pod: string): Promise<number> =>
    Date.parse((await readPod(ns, pod))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '');

  beforeAll(async () => {
    ns = await testNamespace('eg-ha');
    dir = await tempDir();
    lease = uniqueName('lease');
    cert = await selfSignedCert([]);
    await writeFile(join(dir, 'tls.crt'), cert.cert);
    await writeFile(join(dir, 'tls.key'), cert.key);
    counter = await evictionCounter(ns);
    await createPods(ns, ['probe', 'canary', 'one-0', 'one-1', 'one-2', 'two-0', 'two-1', 'two-2']);
    // The API server picks webhook configurations up asynchronously: dry-run evictions until one is seen.
    await eventually(
      'the API server to call the eviction counter',
      async () => {
        await core.createNamespacedPodEviction({
          namespace: ns,
          name: 'canary',
          body: { metadata: { name: 'canary', namespace: ns }, deleteOptions: { dryRun: ['All'] } },
          dryRun: 'All',
        });
        return (counter?.dryRuns() ?? 0) > 0;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  afterAll(async () => {
    await removeWebhooks();
    await counter?.stop();
    for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('evicts each pod exactly once, and after SIGKILL of the leader the other evicts the rest once it holds the lease', async () => {
    const a = await start('a');
    await eventually('replica a to lead', () => leading(a), { timeoutMs: 30_000 });
    const holderA = (await readLease()).spec?.holderIdentity;
    expect(holderA).toBeTruthy();
    const b = await start('b');
    await eventually('replica b to serve', async () => !(await leading(b)), { timeoutMs: 30_000 }).catch(
      (err: unknown) => {
        throw new Error(`${(err as Error).message}\nreplica b:\n${b.logs.slice(-3000)}`);
      },
    );
    // The API server calls the follower, which records and labels; the leader evicts.
    ({ remove: removeWebhooks } = await registerWebhooks(`https://127.0.0.1:${b.port}`, cert.caBundle ?? '', [ns]));
    await eventually(
      'the API server to call exec guard on exec',
      async () => {
        await execIn(ns, 'probe', ['true']);
        return (await readPod(ns, 'probe'))?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] !== undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Both leading at once would be split brain: sampled throughout, from each process's own gauge.
    let bothLeading = false;
    const sampler = setInterval(() => {
      void Promise.all([leading(a), leading(b)])
        .then(([x, y]) => {
          if (x && y) bothLeading = true;
        })
        .catch(() => undefined);
    }, 250);

    try {
      const uids = new Map<string, string>();
      for (const p of (await core.listNamespacedPod({ namespace: ns })).items)
        uids.set(p.metadata?.name ?? '', p.metadata?.uid ?? '');
      const count = (pod: string): number => counter?.seen.filter((e) => e.pod === pod).length ?? 0;

      // 1. The leader evicts the first batch at its time.
      const first = ['one-0', 'one-1', 'one-2'];
      for (const name of first) await execIn(ns, name);
      await eventually(
        'the first batch to be evicted',
        async () => {
          for (const name of first) if (!(await podGoneOrTerminating(ns, name, uids.get(name)))) return false;
          return true;
        },
        { timeoutMs: 40_000 },
      );
      await new Promise((r) => setTimeout(r, QUIET_MS));
      for (const name of first) expect(count(name), `evictions of ${name}`).toBe(1);
      expect((await readLease()).spec?.holderIdentity).toBe(holderA);

      // 2. Record the second batch (labelled by the follower), then SIGKILL the leader: the lease is not released.
      const second = ['two-0', 'two-1', 'two-2'];
      for (const name of second) await execIn(ns, name);
      const dueAt = new Map<string, number>();
      await eventually(
        'the second batch to be labelled',
        async () => {
          for (const name of second) {
            const at = await due(name);
            if (Number.isNaN(at)) return false;
            dueAt.set(name, at);
          }
          return true;
        },
        { timeoutMs: 20_000 },
      );
      const renewedBeforeKill = Date.parse(String((await readLease()).spec?.renewTime ?? ''));
      a.child.kill('SIGKILL');
      await new Promise((r) => a.child.once('exit', r));
      const killedAt = Date.now();
      expect(second.every((n) => count(n) === 0)).toBe(true);

      const takeover = await eventually(
        'replica b to hold the lease',
        async () => {
          const l = await readLease();
          return l.spec?.holderIdentity && l.spec.holderIdentity !== holderA ? l : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      expect(await leading(b)).toBe(true);
      const acquiredAt = new Date(String(takeover.spec?.acquireTime)).getTime();
      // Not before the lease the dead leader had renewed ran out.
      expect(acquiredAt).toBeGreaterThanOrEqual(renewedBeforeKill + LEASE_MS - 50);
      await eventually(
        'the second batch to be evicted by the new leader',
        async () => {
          for (const name of second) if (!(await podGoneOrTerminating(ns, name, uids.get(name)))) return false;
          return true;
        },
        { timeoutMs: 40_000 },
      );
      await new Promise((r) => setTimeout(r, QUIET_MS));

      for (const name of second) {
        const seen = counter?.seen.filter((e) => e.pod === name) ?? [];
        expect(seen, `evictions of ${name}`).toHaveLength(1);
        const at = seen[0]?.at ?? 0;
        // After the failover (the dead leader could not have sent it) and not before the pod was due.
        expect(at, `${name} evicted before the takeover`).toBeGreaterThanOrEqual(acquiredAt);
        expect(at, `${name} evicted before its time`).toBeGreaterThanOrEqual(dueAt.get(name) ?? Infinity);
        // Late only by the leaderless gap: due time or takeover, whichever is later, plus a little.
        expect(at, `${name} evicted late`).toBeLessThan(Math.max(dueAt.get(name) ?? 0, acquiredAt) + 5000);
      }
      // And promptly: within a lease duration and a couple of retry periods of the kill.
      expect(acquiredAt - killedAt).toBeLessThan(LEASE_MS + 2000);
      // No other pod was evicted (the probe is the one interacted pod left; it may be due by now).
      const others = (counter?.seen ?? []).filter((e) => ![...first, ...second, 'probe'].includes(e.pod));
      expect(others).toEqual([]);
      expect(count('probe')).toBeLessThanOrEqual(1);
      expect(bothLeading).toBe(false);
    } finally {
      clearInterval(sampler);
    }
  }, 180_000);
});
