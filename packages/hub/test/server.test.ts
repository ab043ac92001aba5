import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';
import { createHub, type Hub } from '../src/server.js';

describe('hub server', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await createHub({ logger: false });
  });
  afterAll(() => hub.close());

  it('answers health and readiness probes', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await hub.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ok: true });
    }
  });

  it('reports its version', async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/api/v1/version' });
    expect(res.json()).toEqual({ version: WHEELHOUSE_VERSION });
  });

  it('answers unknown routes with a 404 naming the route', async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/api/v1/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'no route GET /api/v1/nope' });
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await hub.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('wheelhouse_agents_connected');
    const openapi = await hub.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(openapi.json()).toMatchObject({
      openapi: expect.stringMatching(/^3\./) as unknown,
      info: { title: 'Wheelhouse hub API' },
    });
  });
});
