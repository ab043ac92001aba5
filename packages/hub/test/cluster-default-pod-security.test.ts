// The Pod Security Standards level newly registered clusters start with is a
// hub setting (flag --default-pod-security, chart hub.defaultPodSecurity);
// an admin still changes it per cluster.
import { describe, expect, it } from 'vitest';
import { createHub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

describe('default Pod Security Standards level of new clusters', () => {
  it.each([
    [undefined, 'baseline'],
    ['restricted', 'restricted'],
    ['privileged', 'privileged'],
  ] as const)('hub setting %s → a new cluster starts at %s', async (setting, expected) => {
    const hub = await createHub({ logger: false, ...(setting ? { defaultPodSecurity: setting } : {}) });
    try {
      const admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
      const created = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/clusters',
        headers: bearer(admin.token),
        payload: { name: 'edge' },
      });
      expect(created.statusCode).toBe(201);
      const got = await hub.app.inject({ method: 'GET', url: '/api/v1/clusters/edge', headers: bearer(admin.token) });
      expect(got.json<{ podSecurity: string }>().podSecurity).toBe(expected);
    } finally {
      await hub.close();
    }
  });
});
