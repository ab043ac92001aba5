// The hub serves the web console: index.html for app paths (with a strict
// CSP), hashed assets cached forever, and API 404s stay JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';

describe('web console serving', () => {
  const root = mkdtempSync(join(tmpdir(), 'wh-webroot-'));
  let hub: Hub;
  let bare: Hub;
  beforeAll(async () => {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(root, 'theme.js'), '// theme');
    hub = await createHub({ logger: false, webRoot: root });
    bare = await createHub({ logger: false, webRoot: false });
  });
  afterAll(async () => {
    await hub.close();
    await bare.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers app paths with index.html and a CSP that allows only this origin', async () => {
    for (const url of ['/', '/c/prod/workloads', '/c/prod/w/Deployment/shop/web?tab=timeline', '/audit']) {
      const res = await hub.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('<div id="root"></div>');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable and other files revalidated', async () => {
    const asset = await hub.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const theme = await hub.app.inject({ method: 'GET', url: '/theme.js' });
    expect(theme.statusCode).toBe(200);
    expect(theme.headers['cache-control']).toBe('no-cache');
  });

  it('keeps 404s of the API and of missing assets as JSON errors, not the app', async () => {
    for (const url of ['/api/v1/no-such-route', '/assets/missing.js']) {
      const res = await hub.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
    }
    // A real API route is not shadowed by the app.
    expect((await hub.app.inject({ method: 'GET', url: '/api/v1/version' })).json()).toHaveProperty('version');
  });

  it('says how to build the console when there is none', async () => {
    const res = await bare.app.inject({ method: 'GET', url: '/' });
    expect(res.body).toMatch(/not built: run `npm run build`/);
  });
});
