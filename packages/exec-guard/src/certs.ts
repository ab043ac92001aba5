// Serving certificates: from files (cert-manager or a Helm-generated Secret
// mounted into the pod, re-read when they change), or in dev mode a freshly
// generated self-signed pair whose certificate is also the caBundle.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface ServingCert {
  key: string;
  cert: string;
  /** base64 PEM for a webhook configuration's clientConfig.caBundle (self-signed mode only). */
  caBundle?: string;
}

export async function loadCert(certPath: string, keyPath: string): Promise<ServingCert> {
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { cert, key };
}

/** The CA bundle (PEM) that client certificates are verified against; refuses a file without a certificate. */
export async function loadClientCa(path: string): Promise<string> {
  const pem = await readFile(path, 'utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`client CA ${path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  return pem;
}

/** A self-signed certificate valid for the given hosts (IP addresses and DNS names) for one year. */
export async function selfSignedCert(hosts: string[]): Promise<ServingCert> {
  const all = [...new Set(['127.0.0.1', 'localhost', ...hosts])];
  const pems = await generate([{ name: 'commonName', value: all[0] ?? '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'subjectAltName', altNames: all.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    ],
  });
  return { key: pems.private, cert: pems.cert, caBundle: Buffer.from(pems.cert).toString('base64') };
}
