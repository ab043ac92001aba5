// When LeanKubeConfig looks at its certificate, key and CA files: at most once
// per interval (not per request), still noticing a certificate written over,
// a Kubernetes-mounted Secret whose ..data symlink was swapped, and a
// certificate and key replaced one after the other. Real files; the clock is
// a number the test moves, and the stat is fs.statSync counted. That the API
// server then sees the rotated identity is kube-config.int.test.ts.
import { mkdirSync, mkdtempSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LeanKubeConfig, ROTATION_CHECK_MS, type RotationCheck } from '../src/kube-config.js';

/** A kubeconfig naming ca.crt, tls.crt and tls.key next to it, and a clock and stat the test controls. */
function setup(dir = mkdtempSync(join(tmpdir(), 'wh-kube-config-'))) {
  const file = join(dir, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt' } }],
      users: [{ name: 'u', user: { 'client-certificate': 'tls.crt', 'client-key': 'tls.key' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  const t = { clock: 1_000, stats: 0 };
  const rotation: RotationCheck = {
    now: () => t.clock,
    stat: (f) => {
      t.stats++;
      return statSync(f);
    },
  };
  const request = async (kc: LeanKubeConfig) => {
    const o: RequestOptions = {};
    await kc.applyToHTTPSOptions(o);
    // The lean config sets Buffers (or nothing).
    const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : undefined);
    return { ca: text(o.ca), cert: text(o.cert), key: text(o.key) };
  };
  return { dir, file, t, rotation, request };
}

describe('LeanKubeConfig certificate files: a rotation check per interval, not per request', () => {
  it('N requests within the interval stat no file; the first one after it stats each once', async () => {
    const { dir, file, t, rotation, request } = setup();
    for (const [f, v] of [
      ['ca.crt', 'CA 1'],
      ['tls.crt', 'CERT 1'],
      ['tls.key', 'KEY 1'],
    ])
      writeFileSync(join(dir, f ?? ''), v ?? '');
    const kc = LeanKubeConfig.load(file, undefined, rotation);
    expect(await request(kc)).toEqual({ ca: 'CA 1', cert: 'CERT 1', key: 'KEY 1' });
    expect(t.stats).toBe(3);
    const start = t.clock;
    for (let i = 0; i < 50; i++) {
      t.clock += Math.floor((ROTATION_CHECK_MS - 1) / 50);
      await request(kc);
    }
    expect(t.stats).toBe(3);
    t.clock = start + ROTATION_CHECK_MS;
    await request(kc);
    expect(t.stats).toBe(6);
    await request(kc);
    expect(t.stats).toBe(6);
  });

  it('a certificate written over is used from the first request after the interval, the same Buffers until then', async () => {
    const { dir, file, t, rotation, request } = setup();
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(dir, f), `${f} 1`);
    const kc = LeanKubeConfig.load(file, undefined, { ...rotation, intervalMs: 2_000 });
    const first: RequestOptions = {};
    await kc.applyToHTTPSOptions(first);
    writeFileSync(join(dir, 'tls.crt'), 'tls.crt 2, longer');
    t.clock += 1_999;
    const second: RequestOptions = {};
    await kc.applyToHTTPSOptions(second);
    // Not read again: kube-http keeps its keep-alive agent for the same Buffers.
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
    expect(second.ca).toBe(first.ca);
    t.clock += 1;
    expect((await request(kc)).cert).toBe('tls.crt 2, longer');
  });

  it('a Kubernetes-mounted Secret: a new ..data directory swapped in by symlink is picked up', async () => {
    // The kubelet's layout: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/, replaced by an atomic rename.
    const dir = mkdtempSync(join(tmpdir(), 'wh-kube-secret-'));
    const version = (n: number) => {
      const d = join(dir, `..2026_11_29_0${n}`);
      mkdirSync(d);
      for (const f of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(d, f), `${f} ${n}`);
      symlinkSync(d, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    version(1);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) symlinkSync(join('..data', f), join(dir, f));
    const { file, t, rotation, request } = setup(dir);
    const kc = LeanKubeConfig.load(file, undefined, rotation);
    expect(await request(kc)).toEqual({ ca: 'ca.crt 1', cert: 'tls.crt 1', key: 'tls.key 1' });
    // The same sizes as before; the new files are other inodes.
    version(2);
    expect(await request(kc)).toEqual({ ca: 'ca.crt 1', cert: 'tls.crt 1', key: 'tls.key 1' });
    t.clock += ROTATION_CHECK_MS;
    expect(await request(kc)).toEqual({ ca: 'ca.crt 2', cert: 'tls.crt 2', key: 'tls.key 2' });
  });

  it('a certificate and key replaced one after the other: a check that saw a change checks again on the next request', async () => {
    const { dir, file, t, rotation, request } = setup();
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(dir, f), `${f} 1`);
    const kc = LeanKubeConfig.load(file, undefined, rotation);
    await request(kc);
    writeFileSync(join(dir, 'tls.crt'), 'tls.crt 2');
    t.clock += ROTATION_CHECK_MS;
    // The check fell between the two writes: a new certificate with the old key.
    expect(await request(kc)).toMatchObject({ cert: 'tls.crt 2', key: 'tls.key 1' });
    writeFileSync(join(dir, 'tls.key'), 'tls.key 2');
    // No time passes, yet the next request checks and gets the matching key.
    expect(await request(kc)).toMatchObject({ cert: 'tls.crt 2', key: 'tls.key 2' });
    // That check saw the key change, so the next one checks once more; it sees nothing new and the interval starts again.
    const stats = t.stats;
    await request(kc);
    expect(t.stats).toBe(stats + 3);
    await request(kc);
    expect(t.stats).toBe(stats + 3);
  });

  it('inline certificate data is never stat’ed', async () => {
    const { file, t, rotation, request } = setup();
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') } },
        ],
        users: [{ name: 'u', user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    const kc = LeanKubeConfig.load(file, undefined, rotation);
    for (let i = 0; i < 3; i++, t.clock += ROTATION_CHECK_MS)
      expect(await request(kc)).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(t.stats).toBe(0);
  });
});
