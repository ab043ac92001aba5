// How the local API server authenticates itself to admission webhooks: a client
// certificate from a CA of its own, given to kube-apiserver through
// --admission-control-config-file (a WebhookAdmissionConfiguration whose
// kubeConfigFile names the certificate per webhook host). Exec guard verifies
// that certificate against the CA, so a forged AdmissionReview from anyone
// else is refused. The kubeconfig's only user is "*" (every webhook host): the
// tests serve webhooks on loopback URLs with random ports, and a Go TLS client
// sends its certificate only to servers that ask for one, so webhooks that do
// not verify callers are unaffected.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import { clusterDataDir } from './paths.js';

/** The common name of the API server's admission client certificate. */
export const ADMISSION_CLIENT_NAME = 'kube-apiserver-admission';

export interface AdmissionClientFiles {
  dir: string;
  /** PEM of the CA exec guard is given (--client-ca). */
  caCert: string;
  caKey: string;
  clientCert: string;
  clientKey: string;
  /** The kubeconfig naming the client certificate for every webhook host. */
  kubeconfig: string;
  /** The AdmissionConfiguration passed as --admission-control-config-file. */
  admissionConfig: string;
}

export function admissionFiles(name: string): AdmissionClientFiles {
  const dir = join(clusterDataDir(name), 'admission');
  return {
    dir,
    caCert: join(dir, 'client-ca.crt'),
    caKey: join(dir, 'client-ca.key'),
    clientCert: join(dir, 'apiserver-client.crt'),
    clientKey: join(dir, 'apiserver-client.key'),
    kubeconfig: join(dir, 'webhook-kubeconfig.yaml'),
    admissionConfig: join(dir, 'admission-config.yaml'),
  };
}

/** The AdmissionConfiguration: both webhook admission plugins read the same kubeconfig. */
export function admissionConfigYaml(kubeconfig: string): string {
  const webhookConfig = {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'WebhookAdmissionConfiguration',
    kubeConfigFile: kubeconfig,
  };
  return stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AdmissionConfiguration',
    plugins: [
      { name: 'ValidatingAdmissionWebhook', configuration: webhookConfig },
      { name: 'MutatingAdmissionWebhook', configuration: webhookConfig },
    ],
  });
}

/** Creates the CA, the client certificate and both configuration files once per cluster (kept on restarts). */
export async function ensureAdmissionClient(name: string): Promise<AdmissionClientFiles> {
  const f = admissionFiles(name);
  if (![f.caCert, f.clientCert, f.clientKey, f.kubeconfig, f.admissionConfig].every((p) => existsSync(p))) {
    await mkdir(f.dir, { recursive: true, mode: 0o700 });
    const notAfterDate = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
    const ca = await generate([{ name: 'commonName', value: 'wheelhouse-local-admission-client-ca' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const client = await generate([{ name: 'commonName', value: ADMISSION_CLIENT_NAME }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
      ],
    });
    await writeFile(f.caCert, ca.cert);
    await writeFile(f.caKey, ca.private, { mode: 0o600 });
    await writeFile(f.clientCert, client.cert);
    await writeFile(f.clientKey, client.private, { mode: 0o600 });
    await writeFile(
      f.kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        users: [{ name: '*', user: { 'client-certificate': f.clientCert, 'client-key': f.clientKey } }],
      }),
      { mode: 0o600 },
    );
    await writeFile(f.admissionConfig, admissionConfigYaml(f.kubeconfig));
  }
  return f;
}

/** The CA certificate (PEM) that signed the local API server's admission client certificate. */
export async function admissionClientCa(name: string): Promise<string> {
  return readFile(admissionFiles(name).caCert, 'utf8');
}
