// Bounds of what the hooks record: a per-user rate (429 denial naming the user
// and the rate; other users unaffected), a journal that refuses to grow past its
// size (503, so the failurePolicy decides, and nothing written), and the pod
// hook's decisions that need no cluster (generateName, unknown identity).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../src/certs.js';
import { Journal, JournalFullError } from '../src/journal.js';
import { INTERACTION_TIMESTAMP_LABEL, TERMINATION_TIME_ANNOTATION } from '../src/labels.js';
import { createMetrics } from '../src/metrics.js';
import { RateLimiter } from '../src/rate-limit.js';
import { CONNECT_PATH, PODS_PATH, buildServer } from '../src/server.js';
import { connectReview, postReview, type Answer } from './reviews.js';

describe('rate per user', () => {
  it('allows a burst, then the rate, per source; forgets the least recently used source when full', () => {
    let now = 0;
    const r = new RateLimiter({ perSecond: 2, burst: 3, maxSources: 2, now: () => now });
    expect([r.take('a'), r.take('a'), r.take('a')].every((x) => x.ok)).toBe(true);
    expect(r.take('a')).toEqual({ ok: false, retryAfterMs: 500 });
    expect(r.take('b').ok).toBe(true); // another source has its own bucket
    now = 500;
    expect(r.take('a').ok).toBe(true);
    expect(r.take('a').ok).toBe(false);
    r.take('c'); // evicts the least recently used ('b')
    expect(r.size).toBe(2);
  });
});

describe('hooks under load', () => {
  let app: FastifyInstance;
  let dir: string;
  let journal: Journal;
  const metrics = createMetrics();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-bounds-'));
    // Room for about three interactions.
    ({ journal } = await Journal.open({ dir, maxPendingBytes: 1500 }));
    const cert = await selfSignedCert([]);
    app = await buildServer({
      key: cert.key,
      cert: cert.cert,
      allowlist: new Set(),
      portForward: false,
      metrics,
      log: pino({ level: 'silent' }),
      selfUsernames: () => undefined,
      ready: () => true,
      rateLimit: { perSecond: 1, burst: 2 },
      record: (e) => journal.append(e),
    });
  });

  afterAll(async () => {
    await app.close();
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (url: string, payload: unknown): Promise<Answer> => postReview(app, url, payload);
  const asUser = (username: string): unknown =>
    connectReview(
      { userInfo: { username, groups: ['system:authenticated'] } },
      { kind: 'PodExecOptions', container: 'app', command: ['sh'] },
    );

  it('denies a user past the rate with 429 naming the user and the rate; other users still pass', async () => {
    expect((await post(CONNECT_PATH, asUser('flood'))).body.response?.allowed).toBe(true);
    expect((await post(CONNECT_PATH, asUser('flood'))).body.response?.allowed).toBe(true);
    const third = await post(CONNECT_PATH, asUser('flood'));
    expect(third.status).toBe(200);
    expect(third.body.response?.allowed).toBe(false);
    expect(third.body.response?.status?.code).toBe(429);
    expect(third.body.response?.status?.message).toMatch(
      /^exec guard: user 'flood' sent more kubectl exec\/attach requests than exec guard records per user \(1\/s, bursts of 2\); retry in 1s$/,
    );
    expect((await post(CONNECT_PATH, asUser('calm'))).body.response?.allowed).toBe(true);
    expect((await journal.scan()).pending.filter((e) => e.kind === 'interaction' && e.user === 'flood')).toHaveLength(
      2,
    );
  });

  it('answers 503 once the journal holds its limit of unapplied entries, and writes nothing more', async () => {
    const sizeBefore = (await readFile(journal.path)).length;
    let full: Answer | undefined;
    for (let i = 0; i < 10 && full === undefined; i++) {
      const a = await post(CONNECT_PATH, asUser(`user-${i}`));
      if (a.status !== 200) full = a;
    }
    expect(full?.status).toBe(503);
    expect(full?.body.message).toBe(
      `exec guard could not record the interaction: ${new JournalFullError(1500).message}`,
    );
    expect(journal.pendingBytes).toBeLessThanOrEqual(1500);
    const size = (await readFile(journal.path)).length;
    expect(await post(CONNECT_PATH, asUser('late'))).toMatchObject({ status: 503 });
    expect((await readFile(journal.path)).length).toBe(size);
    expect(size).toBeGreaterThan(sizeBefore);
    // Applying an entry makes room again.
    const first = (await journal.scan()).pending[0];
    if (first) await journal.markDone(first.id);
    expect((await post(CONNECT_PATH, asUser('after'))).body.response?.allowed).toBe(true);
  });

  it('refuses exec guard keys at CREATE also for generateName pods, and everyone while its identity is unknown', async () => {
    const create = await post(PODS_PATH, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'c-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        name: '',
        namespace: 'shop',
        operation: 'CREATE',
        userInfo: { username: 'mallory' },
        object: { metadata: { generateName: 'web-', labels: { [INTERACTION_TIMESTAMP_LABEL]: '4102444800' } } },
        oldObject: null,
      },
    });
    expect(create.body.response?.status?.message).toContain(
      `pod/web-* cannot be created with ${INTERACTION_TIMESTAMP_LABEL}`,
    );
    const update = await post(PODS_PATH, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        name: 'web-1',
        namespace: 'shop',
        operation: 'UPDATE',
        userInfo: { username: 'anyone' },
        object: { metadata: { annotations: { [TERMINATION_TIME_ANNOTATION]: '2099-01-01T00:00:00Z' } } },
        oldObject: { metadata: {} },
      },
    });
    expect(update.body.response?.status?.message).toContain(
      `${TERMINATION_TIME_ANNOTATION} can only be changed by exec guard (exec guard has not learned its own identity yet; nobody else may)`,
    );
  });
});

describe('start-up settings', () => {
  it('refuses to serve production certificates without a client CA unless unauthenticated callers are chosen explicitly', async () => {
    const { startExecGuard } = await import('../src/exec-guard.js');
    await expect(
      startExecGuard({ certPath: '/tls.crt', keyPath: '/tls.key', dataDir: '/nonexistent' }),
    ).rejects.toThrow("exec guard needs --client-ca: the CA of the API server's admission client certificate");
    await expect(
      startExecGuard({
        certPath: '/tls.crt',
        keyPath: '/tls.key',
        dataDir: '/nonexistent',
        clientCaPath: '/ca.crt',
        allowUnauthenticatedCallers: true,
      }),
    ).rejects.toThrow('--client-ca and --allow-unauthenticated-callers contradict each other');
    await expect(
      startExecGuard({
        selfSigned: true,
        dataDir: '/nonexistent',
        maxExtensionMs: 7200_000,
        maxTotalExtensionMs: 3600_000,
      }),
    ).rejects.toThrow('max-extension must not be longer than max-total-extension');
  });

  it('maps the new flags and their defaults', async () => {
    const { execGuardCommand } = await import('../src/cli.js');
    const parse = async (argv: string[]): Promise<Record<string, unknown>> => {
      let got: Record<string, unknown> = {};
      await execGuardCommand({
        start: (o) => {
          got = o as unknown as Record<string, unknown>;
          return Promise.resolve({} as never);
        },
        onStarted: () => undefined,
      })
        .exitOverride()
        .parseAsync(argv, { from: 'user' });
      return got;
    };
    expect(await parse(['--self-signed'])).toMatchObject({
      debugContainers: true,
      maxExtensionMs: 7200_000,
      maxTotalExtensionMs: 86_400_000,
      ratePerSecond: 5,
      rateBurst: 50,
      journalMaxBytes: 16 * 1024 * 1024,
      allowUnauthenticatedCallers: false,
    });
    expect(
      await parse([
        '--client-ca',
        '/etc/ca.crt',
        '--client-names',
        'kube-apiserver-admission,apiserver',
        '--no-debug-containers',
        '--max-extension',
        '30m',
        '--max-total-extension',
        '4h',
        '--rate-per-user',
        '2',
        '--rate-burst',
        '10',
        '--journal-max-bytes',
        '1048576',
      ]),
    ).toMatchObject({
      clientCaPath: '/etc/ca.crt',
      clientNames: ['kube-apiserver-admission', 'apiserver'],
      debugContainers: false,
      maxExtensionMs: 1_800_000,
      maxTotalExtensionMs: 14_400_000,
      ratePerSecond: 2,
      rateBurst: 10,
      journalMaxBytes: 1_048_576,
    });
  });
});

describe('who may call', () => {
  it('names why a caller is not the API server: no certificate, another CA, another name', async () => {
    const { callerProblem } = await import('../src/server.js');
    const peer = (CN: string) => () => ({ subject: { CN } }) as never;
    const names = new Set(['kube-apiserver-admission']);
    expect(callerProblem({}, names)).toBe('no client certificate was presented');
    expect(callerProblem({ authorized: false, getPeerCertificate: () => ({}) as never }, names)).toBe(
      'no client certificate was presented',
    );
    expect(
      callerProblem(
        {
          authorized: false,
          authorizationError: new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
          getPeerCertificate: peer('x'),
        },
        names,
      ),
    ).toBe("the client certificate was not issued by exec guard's client CA: Error: UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(callerProblem({ authorized: true, getPeerCertificate: peer('kubelet') }, names)).toBe(
      'the client certificate names kubelet, not one of kube-apiserver-admission',
    );
    expect(callerProblem({ authorized: true, getPeerCertificate: peer('kube-apiserver-admission') }, names)).toBe(
      undefined,
    );
    expect(callerProblem({ authorized: true, getPeerCertificate: peer('anyone') }, undefined)).toBe(undefined);
  });
});
