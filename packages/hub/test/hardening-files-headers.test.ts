// Issue 13 item 18: the store's files are owner-only, every response carries
// the browser security headers, and /metrics can require a token.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('data directory and store files', () => {
  const root = mkdtempSync(join(tmpdir(), 'wh-modes-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates the data dir 0700 and hub.db, -wal and -shm 0600, with shell recordings inside hub.db', async () => {
    const dataDir = join(root, 'fresh', 'hub');
    const hub = await createHub({ dataDir, logger: false });
    try {
      await hub.clusters.create('c1', 'test'); // a write, so the WAL holds something
      expect(mode(dataDir)).toBe('700');
      for (const f of ['hub.db', 'hub.db-wal', 'hub.db-shm'])
        expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: '600' });
    } finally {
      await hub.close();
    }
  });

  it('tightens a data dir and store an older hub left world-readable', async () => {
    const dataDir = join(root, 'old');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'hub.db'), '');
    chmodSync(join(dataDir, 'hub.db'), 0o644);
    const hub = await createHub({ dataDir, logger: false });
    try {
      expect(mode(dataDir)).toBe('700');
      expect(mode(join(dataDir, 'hub.db'))).toBe('600');
    } finally {
      await hub.close();
    }
  });
});

describe('security headers on every response', () => {
  let hub: Hub;
  const webRoot = mkdtempSync(join(tmpdir(), 'wh-headers-web-'));
  beforeAll(async () => {
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(webRoot, 'assets', 'app-1.js'), 'console.log(1)');
    hub = await createHub({ logger: false, webRoot });
  });
  afterAll(async () => {
    await hub.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('nosniff, no framing and a same-origin referrer policy on API answers, errors, files, probes and metrics', async () => {
    const urls = [
      '/api/v1/version',
      '/api/v1/clusters',
      '/api/v1/nope',
      '/healthz',
      '/metrics',
      '/assets/app-1.js',
      '/',
    ];
    for (const url of urls) {
      const res = await hub.app.inject({ method: 'GET', url });
      expect({
        url,
        nosniff: res.headers['x-content-type-options'],
        frame: res.headers['x-frame-options'],
        referrer: res.headers['referrer-policy'],
        frameAncestors: String(res.headers['content-security-policy']).includes("frame-ancestors 'none'"),
      }).toEqual({ url, nosniff: 'nosniff', frame: 'DENY', referrer: 'same-origin', frameAncestors: true });
    }
    // The console page keeps its own policy, which lets its scripts run.
    const page = await hub.app.inject({ method: 'GET', url: '/' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });
});

describe('/metrics with a token', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false, metricsToken: 'scrape-secret' });
  });
  afterAll(() => hub.close());

  it('refuses a scrape without the token or with a wrong one (401), and serves it with the token', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'scrape-secret', 'Basic c2NyYXBlLXNlY3JldA==']) {
      const res = await hub.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      });
      expect({ authorization, status: res.statusCode }).toEqual({ authorization, status: 401 });
      expect(res.body).not.toContain('wheelhouse_agents_connected');
    }
    const ok = await hub.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-secret' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('wheelhouse_agents_connected');
  });

  it('stays open by default', async () => {
    const open = await createHub({ logger: false, webRoot: false });
    try {
      expect((await open.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });
});
