// Issue 18, the console's start-up: the build writes brotli and gzip copies of
// the assets (packages/web/precompress.ts); the hub sends them as they are to a
// browser that accepts them — not compressed again per request — with the
// hashed files' long-lived cache header, and the plain file to one that
// accepts neither.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';

describe('console assets, precompressed', () => {
  let hub: Hub;
  const webRoot = mkdtempSync(join(tmpdir(), 'wh-precompressed-'));
  const js = `export const rows = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `row-${i}`))};\n`;
  beforeAll(async () => {
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
    const file = join(webRoot, 'assets', 'index-abc123.js');
    writeFileSync(file, js);
    writeFileSync(`${file}.br`, brotliCompressSync(js));
    writeFileSync(`${file}.gz`, gzipSync(js));
    hub = await createHub({ logger: false, webRoot });
  });
  afterAll(async () => {
    await hub.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  const get = (encoding: string | undefined) =>
    hub.app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: encoding ? { 'accept-encoding': encoding } : {},
    });

  it('sends the brotli copy to a browser that accepts br, the gzip copy to one that accepts gzip only', async () => {
    const br = await get('gzip, deflate, br');
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(js);
    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(js);
  });

  it('sends the file itself to a client that accepts neither', async () => {
    const plain = await get(undefined);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(js);
  });
});
