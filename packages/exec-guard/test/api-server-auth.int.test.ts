// Only the API server may call exec guard's hooks. The local control plane
// presents an admission client certificate (test/cluster/src/admission.ts,
// --admission-control-config-file); exec guard is given its CA. A forged
// AdmissionReview sent straight to exec guard — without a certificate, or with
// one from another CA — is refused and changes nothing, while kubectl exec
// through the real API server still works and is recorded.
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecGuardHandle } from '../src/exec-guard.js';
import { INTERACTION_TIMESTAMP_LABEL, INTERACTOR_ANNOTATION, TERMINATION_TIME_ANNOTATION } from '../src/labels.js';
import { CONNECT_PATH, PODS_PATH } from '../src/server.js';
import {
  counterValue,
  execIn,
  kc,
  podEvents,
  readPod,
  routeExecsTo,
  startTestGuard,
  stopTestGuard,
  tempDir,
} from './cluster-helpers.js';

interface Answer {
  status: number;
  body: { message?: string; response?: { allowed: boolean } };
}

/** POSTs a review straight to exec guard, as a pod that reached its Service would. */
function post(
  url: string,
  path: string,
  body: unknown,
  client?: { cert: string; key: string },
  ca?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(ca !== undefined ? { ca } : { rejectUnauthorized: false }),
        ...(client ?? {}),
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function forgedConnect(ns: string, pod: string): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'forged-1',
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'exec',
      name: pod,
      namespace: ns,
      operation: 'CONNECT',
      userInfo: { username: 'innocent-bystander', groups: ['system:authenticated'] },
      object: { kind: 'PodExecOptions', container: 'app', command: ['rm', '-rf', '/'] },
    },
  };
}

describe('exec guard authenticates the API server', () => {
  let ns: string;
  let guard: ExecGuardHandle;
  let dataDir: string;
  let removeWebhooks: () => Promise<void>;
  let serverCa: string;

  beforeAll(async () => {
    ns = await testNamespace('eg-auth');
    dataDir = await tempDir();
    guard = await startTestGuard(ns, dataDir);
    serverCa = Buffer.from(guard.caBundle ?? '', 'base64').toString();
    // kubectl exec → API server (with its client certificate) → exec guard: recorded.
    ({ removeWebhooks } = await routeExecsTo(guard, [ns], ns, ['probe', 'victim', 'worker']));
  });

  afterAll(() => stopTestGuard(removeWebhooks, guard, dataDir));

  it('refuses a forged review without the client certificate, and changes nothing', async () => {
    const recordedBefore = await counterValue(guard.metrics, 'interactions', { outcome: 'recorded' });

    const bare = await post(guard.url, CONNECT_PATH, forgedConnect(ns, 'victim'), undefined, serverCa);
    expect(bare.status).toBe(401);
    expect(bare.body.message).toBe(
      'exec guard accepts AdmissionReviews only from the API server: no client certificate was presented',
    );

    // A certificate from a CA of the attacker's own is no better.
    const rogueCa = await generate([{ name: 'commonName', value: 'rogue-ca' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
      ],
    });
    const rogue = await generate([{ name: 'commonName', value: 'kube-apiserver-admission' }], {
      keySize: 2048,
      algorithm: 'sha256',
      ca: { key: rogueCa.private, cert: rogueCa.cert },
      extensions: [{ name: 'extKeyUsage', clientAuth: true }],
    });
    const forged = await post(
      guard.url,
      CONNECT_PATH,
      forgedConnect(ns, 'victim'),
      { cert: rogue.cert, key: rogue.private },
      serverCa,
    );
    expect(forged.status).toBe(401);
    expect(forged.body.message).toContain("the client certificate was not issued by exec guard's client CA");

    // The UPDATE hook is guarded the same way.
    const update = await post(guard.url, PODS_PATH, { kind: 'AdmissionReview' }, undefined, serverCa);
    expect(update.status).toBe(401);

    // Nothing happened to the pod the forgery named: no labels, no Events, nothing recorded.
    await new Promise((r) => setTimeout(r, 1500));
    await guard.drained();
    const victim = await readPod(ns, 'victim');
    expect(victim?.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL]).toBeUndefined();
    expect(victim?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION]).toBeUndefined();
    expect(await podEvents(ns, 'victim')).toEqual([]);
    expect(await counterValue(guard.metrics, 'interactions', { outcome: 'recorded' })).toBe(recordedBefore);
    const journal = await readFile(`${dataDir}/journal.jsonl`, 'utf8');
    expect(journal).not.toContain('innocent-bystander');
    // Probes stay open to callers without certificates (kubelets have none).
    const health = await fetchHealth(guard.url, serverCa);
    expect(health).toBe(200);
  });

  it('kubectl exec through the real API server still works and is recorded', async () => {
    expect(await execIn(ns, 'worker', ['echo', 'through the API server'])).toBe('through the API server\n');
    const pod = await eventually('worker to be labelled', async () => {
      const p = await readPod(ns, 'worker');
      return p?.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL] !== undefined ? p : undefined;
    });
    expect(pod.metadata?.annotations?.[INTERACTOR_ANNOTATION]).toBe('kwok-admin');
    const events = await eventually('the interaction Event', async () => {
      const ev = await podEvents(ns, 'worker');
      return ev.length >= 2 ? ev : undefined;
    });
    expect(events.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^Pod was interacted with 'kubectl exec\/attach' command by a user 'kwok-admin'/),
    );
    const core = kc.makeApiClient(k8s.CoreV1Api);
    expect((await core.readNamespacedPod({ namespace: ns, name: 'worker' })).status?.phase).toBe('Running');
  });
});

function fetchHealth(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/health/readiness`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
