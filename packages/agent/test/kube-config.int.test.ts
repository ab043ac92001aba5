// The agent's own kubeconfig loader (kube-config.ts) against the real API
// server: client certificates (files relative to the kubeconfig, and inline
// data), bearer tokens, the in-cluster ServiceAccount layout (its token file
// re-read, so a rotated token is used), certificate files read once and again
// when rotated (checked once per interval: kube-config.test.ts), an exec
// credential plugin (handed to the client library), and a wrong CA refused.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';
import { LeanKubeConfig, ROTATION_CHECK_MS } from '../src/kube-config.js';
import { kubeRequest, kubeWatch } from '../src/kube-http.js';
import { describeCluster } from '../src/kube.js';

const admin = kubeConfig();
const core = admin.makeApiClient(k8s.CoreV1Api);
const dir = mkdtempSync(join(tmpdir(), 'wh-kubeconfig-'));

/** A kubeconfig file with one cluster, user and context. */
function writeKubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  mkdirSync(join(dir, name), { recursive: true });
  const file = join(dir, name, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return file;
}

describe('LeanKubeConfig on the real control plane', () => {
  const server = admin.getCurrentCluster()?.server ?? '';
  const pki = dirname(admin.getCurrentCluster()?.caFile ?? '');
  let ns = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    ns = await testNamespace('kubeconfig');
    for (const name of ['one', 'two']) {
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
      const t = await core.createNamespacedServiceAccountToken({
        namespace: ns,
        name,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      tokens[name] = t.status?.token ?? '';
    }
    for (const sub of ['cert', 'in-cluster']) mkdirSync(join(dir, sub), { recursive: true });
  });

  it('client certificate and CA from files named relative to the kubeconfig', async () => {
    for (const f of ['ca.crt', 'admin.crt', 'admin.key']) copyFileSync(join(pki, f), join(dir, 'cert', f));
    const file = writeKubeconfig(
      'cert',
      { server, 'certificate-authority': 'ca.crt' },
      { 'client-certificate': 'admin.crt', 'client-key': 'admin.key' },
    );
    const kc = LeanKubeConfig.load(file);
    expect(kc.delegateReason).toBe('');
    expect((await describeCluster(kc)).username).toBe('kwok-admin');
  });

  it('client certificate, key and CA inline (…-data), and a list and a watch with it', async () => {
    const b64 = (f: string) => readFileSync(join(pki, f)).toString('base64');
    const file = writeKubeconfig(
      'inline',
      { server, 'certificate-authority-data': b64('ca.crt') },
      { 'client-certificate-data': b64('admin.crt'), 'client-key-data': b64('admin.key') },
    );
    const kc = LeanKubeConfig.load(file);
    expect((await describeCluster(kc)).username).toBe('kwok-admin');
    const seen = new Promise<string>((resolve, reject) => {
      void kubeWatch(
        kc,
        `/api/v1/namespaces/${ns}/configmaps`,
        { timeoutSeconds: 10 },
        (phase, obj) => {
          const name = (obj as { metadata?: { name?: string } }).metadata?.name;
          if (phase === 'ADDED' && name === 'watched') resolve(name);
        },
        (err) => reject(new Error(`watch ended: ${String(err)}`)),
      );
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'watched' } } });
    expect(await seen).toBe('watched');
    const list = await kubeRequest<{ items: unknown[] }>(kc, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
    expect(list.status).toBe(200);
  });

  it('reads certificate files once, again only when they change: a rotated client certificate is a new identity', async () => {
    const file = writeKubeconfig(
      'rotate',
      { server, 'certificate-authority': 'ca.crt' },
      { 'client-certificate': 'admin.crt', 'client-key': 'admin.key' },
    );
    const sub = dirname(file);
    for (const f of ['ca.crt', 'admin.crt', 'admin.key']) copyFileSync(join(pki, f), join(sub, f));
    // The files are checked at most once per ROTATION_CHECK_MS; this clock moves only when the test says.
    let clock = 0;
    const kc = LeanKubeConfig.load(file, undefined, { now: () => clock });
    const first: RequestOptions = {};
    const second: RequestOptions = {};
    await kc.applyToHTTPSOptions(first);
    await kc.applyToHTTPSOptions(second);
    // The same Buffers (not read again), and no agent of its own: kube-http keeps one per TLS identity.
    expect(second.ca).toBe(first.ca);
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
    expect(first.agent).toBeUndefined();
    expect((await describeCluster(kc)).username).toBe('kwok-admin');
    // A new client certificate from the cluster's CA, written over the old files (as cert-manager would).
    const rotated = await generate([{ name: 'commonName', value: 'wh-rotated-user' }], {
      keySize: 2048,
      algorithm: 'sha256',
      ca: { key: readFileSync(join(pki, 'ca.key'), 'utf8'), cert: readFileSync(join(pki, 'ca.crt'), 'utf8') },
      extensions: [{ name: 'extKeyUsage', clientAuth: true }],
    });
    writeFileSync(join(sub, 'admin.crt'), rotated.cert);
    writeFileSync(join(sub, 'admin.key'), rotated.private);
    // Within the interval the old identity is still used; from the first request after it, the new one.
    expect((await describeCluster(kc)).username).toBe('kwok-admin');
    clock += ROTATION_CHECK_MS;
    expect((await describeCluster(kc)).username).toBe('wh-rotated-user');
    const third: RequestOptions = {};
    await kc.applyToHTTPSOptions(third);
    expect(third.cert?.toString()).toBe(rotated.cert);
  });

  it('a bearer token: the API server sees the ServiceAccount', async () => {
    const file = writeKubeconfig(
      'token',
      { server, 'certificate-authority': join(pki, 'ca.crt') },
      { token: tokens.one },
    );
    expect((await describeCluster(LeanKubeConfig.load(file))).username).toBe(`system:serviceaccount:${ns}:one`);
  });

  it('in cluster: the ServiceAccount token file is read per request, so a rotated token is used', async () => {
    const sa = join(dir, 'in-cluster');
    copyFileSync(join(pki, 'ca.crt'), join(sa, 'ca.crt'));
    writeFileSync(join(sa, 'token'), tokens.one ?? '');
    const url = new URL(server);
    const env = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = url.hostname;
    process.env.KUBERNETES_SERVICE_PORT = url.port;
    try {
      const kc = LeanKubeConfig.inCluster(sa);
      expect((await describeCluster(kc)).username).toBe(`system:serviceaccount:${ns}:one`);
      writeFileSync(join(sa, 'token'), tokens.two ?? '');
      expect((await describeCluster(kc)).username).toBe(`system:serviceaccount:${ns}:two`);
    } finally {
      for (const [k, v] of [
        ['KUBERNETES_SERVICE_HOST', env.host],
        ['KUBERNETES_SERVICE_PORT', env.port],
      ] as const)
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
    }
  });

  it('an exec credential plugin is handed to the client library and works', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: tokens.two },
    });
    const file = writeKubeconfig(
      'exec',
      { server, 'certificate-authority': join(pki, 'ca.crt') },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`],
          interactiveMode: 'Never',
        },
      },
    );
    const kc = LeanKubeConfig.load(file);
    expect(kc.delegateReason).toBe('an exec credential plugin');
    expect((await describeCluster(kc)).username).toBe(`system:serviceaccount:${ns}:two`);
  });

  it('a CA that did not sign the server certificate is refused', async () => {
    const file = writeKubeconfig(
      'wrong-ca',
      // The admin client certificate is not the server's CA.
      { server, 'certificate-authority': join(pki, 'admin.crt') },
      { token: tokens.one },
    );
    await expect(describeCluster(LeanKubeConfig.load(file))).rejects.toThrow(/certificate/i);
  });

  it('loads the test cluster kubeconfig as kubectl would, with an explicit context', () => {
    const kc = LeanKubeConfig.load(kubeconfigFile(), admin.getCurrentContext());
    expect(kc.getCurrentCluster()?.server).toBe(server);
    expect(() => LeanKubeConfig.load(kubeconfigFile(), 'nope')).toThrow(/no context "nope"/);
  });
});
