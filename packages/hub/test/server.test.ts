import { afterAll, describe, expect, it } from 'vitest';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';
import { buildHub } from '../src/server.js';

describe('hub server', () => {
  const app = buildHub({ logger: false });
  afterAll(() => app.close());

  it('answers health and readiness probes', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ok: true });
    }
  });

  it('reports its version', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/version' });
    expect(res.json()).toEqual({ version: WHEELHOUSE_VERSION });
  });

  it('answers unknown routes with 404, not 5xx', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
  });
});
