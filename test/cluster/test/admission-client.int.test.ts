// The local API server authenticates itself to admission webhooks with a
// client certificate (src/admission.ts): a webhook that asks for one gets the
// certificate of `kube-apiserver-admission`, signed by the cluster's admission
// client CA; a webhook that does not ask is called as before (see
// control-plane.int.test.ts).
import { createServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import * as k8s from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from '../src/cluster.js';
import { admissionClientCaFile, eventually, kubeConfig, serveExecWebhook, testNamespace } from '../src/testing.js';

const kc = kubeConfig();

describe("the API server's admission client certificate", () => {
  let ns: string;
  const peers: { authorized: boolean; cn: unknown; issuer: unknown }[] = [];
  const webhookName = `client-cert-${Math.random().toString(36).slice(2, 8)}.wheelhouse.dev`;
  let stopWebhook: () => Promise<void> = () => Promise.resolve();
  const core = kc.makeApiClient(k8s.CoreV1Api);

  beforeAll(async () => {
    ns = await testNamespace('adm-client');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'registry.local/demo:1.0' }] } },
    });
    await eventually(
      'the pod to run',
      async () => (await core.readNamespacedPod({ namespace: ns, name: 'p' })).status?.phase === 'Running',
      { timeoutMs: 60_000 },
    );
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const server = createServer(
      {
        key: pems.private,
        cert: pems.cert,
        ca: await readFile(admissionClientCaFile(), 'utf8'),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        // Empty ({}) when the caller presented no certificate.
        const cert: Partial<PeerCertificate> = socket.getPeerCertificate();
        peers.push({ authorized: socket.authorized, cn: cert.subject?.CN, issuer: cert.issuer?.CN });
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const uid = (JSON.parse(body) as { request: { uid: string } }).request.uid;
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: { uid, allowed: true },
            }),
          );
        });
      },
    );
    stopWebhook = await serveExecWebhook(server, {
      name: webhookName,
      certPem: pems.cert,
      namespace: ns,
      failurePolicy: 'Ignore',
    });
  });

  afterAll(() => stopWebhook());

  it('is presented to a webhook that asks for it, signed by the admission client CA', async () => {
    await eventually('the webhook to be called on exec', async () => {
      await kubectl(['exec', '-n', ns, 'p', '--', 'true']);
      return peers.length > 0;
    });
    expect(peers.at(-1)).toEqual({
      authorized: true,
      cn: 'kube-apiserver-admission',
      issuer: 'wheelhouse-local-admission-client-ca',
    });
  });
});
