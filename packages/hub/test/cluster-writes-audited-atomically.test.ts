// A cluster change and its audit record commit together: when the audit
// record cannot be written (here: the store refuses it with a trigger, as a
// full disk or a lost connection would), the change is rolled back too — the
// cluster is still there, its token unchanged, its level unchanged. Both stores.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { isPostgres } from '../src/store/dialect.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

describe.each(storeFactories)('cluster changes and their audit records ($name store)', (store) => {
  let hub: Hub;
  let admin: TestUser;
  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false, ...(await store.options()) });
    admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
    // The store refuses audit records of cluster changes (not of the setup's own writes).
    if (isPostgres(hub.db)) {
      await sql`CREATE FUNCTION refuse_cluster_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit write failed'; END $$`.execute(hub.db);
      await sql`CREATE TRIGGER refuse_cluster_audit BEFORE INSERT ON audit_log FOR EACH ROW
        WHEN (NEW.action LIKE 'cluster.%') EXECUTE FUNCTION refuse_cluster_audit()`.execute(hub.db);
    } else {
      await sql`CREATE TRIGGER refuse_cluster_audit BEFORE INSERT ON audit_log
        WHEN NEW.action LIKE 'cluster.%' BEGIN SELECT RAISE(ABORT, 'audit write failed'); END`.execute(hub.db);
    }
    await hub.clusters.create('prod', 'test');
  });
  afterAll(() => hub.close());

  const call = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    hub.app.inject({ method, url, headers: bearer(admin.token), ...(payload ? { payload } : {}) });
  const row = () => hub.db.selectFrom('clusters').selectAll().where('id', '=', 'prod').executeTakeFirst();

  it('registering: no cluster without its record', async () => {
    expect((await call('POST', '/api/v1/clusters', { name: 'staging' })).statusCode).toBe(500);
    expect(await hub.clusters.get('staging')).toBeNull();
  });

  it('deleting, rotating or revoking the token, setting the level: nothing changes without its record', async () => {
    const before = await row();
    expect(before).toBeDefined();
    expect((await call('DELETE', '/api/v1/clusters/prod')).statusCode).toBe(500);
    expect((await call('POST', '/api/v1/clusters/prod/token/rotate')).statusCode).toBe(500);
    expect((await call('POST', '/api/v1/clusters/prod/token/revoke')).statusCode).toBe(500);
    expect((await call('PUT', '/api/v1/clusters/prod/pod-security', { level: 'restricted' })).statusCode).toBe(500);
    expect(await row()).toEqual(before);
  });
});
