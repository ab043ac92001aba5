// A refused shell goes on a pod's timeline only where that means something:
// the caller can see the cluster, the cluster exists and the pod exists; and at
// most a few per user and minute. Anything else in the URL — another cluster's
// name, an invented pod, a malformed name — leaves at most the audit record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { SHELL_MATRIX } from './support/authz-cases.js';
import { setupIdentities, type Identity } from './support/authz-matrix.js';
import { changesDuring } from './support/db-snapshot.js';
import { bearer, useFastPasswordHashing } from './support/identity.js';

describe('pod shell refusals on the timeline', () => {
  let hub: Hub;
  let ids: Map<string, Identity>;
  beforeAll(async () => {
    useFastPasswordHashing();
    hub = await createHub({ logger: false, webRoot: false, shell: { refusalEventsPerMinute: 3 } });
    ids = await setupIdentities(hub, SHELL_MATRIX.identities);
    await SHELL_MATRIX.setup(hub);
  });
  afterAll(() => hub.close());

  const token = (name: string): string => {
    const i = ids.get(name);
    if (!i) throw new Error(`no identity ${name}`);
    return i.token;
  };
  const shell = (name: string, path: string) =>
    changesDuring(hub.db, () =>
      hub.app.inject({ url: `/api/v1/clusters/${path}/shell`, headers: bearer(token(name)) }),
    );
  const tables = (changes: readonly { table: string }[]) => changes.map((c) => c.table).sort();

  it('a pod that does not exist gets no timeline event (403 and its audit record only)', async () => {
    const { result, changes } = await shell('viewer', 'prod-east/pods/team-a/invented-pod');
    expect(result.statusCode).toBe(403);
    expect(tables(changes)).toEqual(['audit_log']);
  });

  it('a cluster the caller cannot see answers 404 like a nonexistent one, and nothing reaches its timeline', async () => {
    const { result, changes } = await shell('operator@staging', 'prod-east/pods/team-a/web-0');
    const missing = await shell('operator@staging', 'no-such/pods/team-a/web-0');
    expect(result.statusCode).toBe(404);
    expect(result.body.replace('prod-east', 'C')).toBe(missing.result.body.replace('no-such', 'C'));
    expect(tables(changes)).toEqual(['audit_log']);
  });

  it('a malformed pod or namespace name is a 400 naming the field, and changes nothing', async () => {
    for (const path of [
      'prod-east/pods/team-a/Web_0',
      'prod-east/pods/Team-A/web-0',
      'prod-east/pods/team-a/web%200',
    ]) {
      const { result, changes } = await shell('viewer', path);
      expect(result.statusCode, path).toBe(400);
      expect(result.json<{ message: string }>().message).toMatch(/^params\.(pod|namespace)/);
      expect(changes, path).toEqual([]);
    }
  });

  it('an existing pod gets the refusal on its timeline, at most refusalEventsPerMinute per user; every one is audited', async () => {
    const events = await hub.timeline.query('prod-east', { types: ['shell'], limit: 1000 });
    const before = events.items.length;
    let audited = 0;
    for (let i = 0; i < 8; i++) {
      const { result, changes } = await shell('auditor', 'prod-east/pods/team-a/web-0');
      expect(result.statusCode).toBe(403);
      audited += changes.filter((c) => c.table === 'audit_log').length;
    }
    const after = await hub.timeline.query('prod-east', { types: ['shell'], limit: 1000 });
    expect(after.items.length - before).toBe(3);
    expect(audited).toBe(8);
    // Another user has their own budget.
    const other = await shell('viewer@*/team-a', 'prod-east/pods/team-a/web-0');
    expect(tables(other.changes)).toEqual(['audit_log', 'timeline_events']);
  });
});
